import pytest

from playground.quizzes.models import Question, QuestionSet


@pytest.fixture
def empty_bank(db):
    """The shipped bank out of the way, for tests that count what they made."""
    QuestionSet.objects.all().delete()
    Question.objects.all().delete()
