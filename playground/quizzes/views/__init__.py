from .exams import attempt_detail, attempt_question, attempt_review, attempt_submit, exam_start
from .index import index
from .practice import practice

__all__ = [
    "attempt_detail",
    "attempt_question",
    "attempt_review",
    "attempt_submit",
    "exam_start",
    "index",
    "practice",
]
