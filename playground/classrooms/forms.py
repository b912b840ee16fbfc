from django import forms
from django.utils.translation import gettext_lazy as _

from labs.models import Topology
from playground.quizzes.models import QuestionSet

from . import services


class ClassroomForm(forms.Form):
    name = forms.CharField(label=_("Class name"), max_length=services.NAME_MAX)


class JoinForm(forms.Form):
    code = forms.CharField(label=_("Join code"), max_length=20)


class AssignmentForm(forms.Form):
    topology = forms.ModelChoiceField(
        label=_("Starter lab"),
        queryset=Topology.objects.filter(owner__isnull=True),
        required=False,
    )
    question_set = forms.ModelChoiceField(
        label=_("Quiz set"),
        queryset=QuestionSet.objects.filter(is_published=True),
        required=False,
    )
    due_at = forms.DateTimeField(
        label=_("Due"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if bool(data.get("topology")) == bool(data.get("question_set")):
            raise forms.ValidationError(_("Choose a starter lab or a quiz set (one of them)."))
        return data


class HintForm(forms.Form):
    text = forms.CharField(
        label=_("Hint"), max_length=services.HINT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class LiveQuizForm(forms.Form):
    question_set = forms.ModelChoiceField(
        label=_("Quiz set"), queryset=QuestionSet.objects.filter(is_published=True)
    )
    leaderboard = forms.BooleanField(
        label=_("Show a leaderboard (speed-weighted points)"), required=False, initial=True
    )
