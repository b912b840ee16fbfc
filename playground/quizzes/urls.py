from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="quizzes-index"),
    path("practice/<slug:slug>/", views.practice, name="quizzes-practice"),
    path("exams/<slug:slug>/start/", views.exam_start, name="quizzes-exam-start"),
    path("attempts/<int:pk>/", views.attempt_detail, name="quizzes-attempt"),
    path(
        "attempts/<int:pk>/questions/<int:position>/",
        views.attempt_question,
        name="quizzes-attempt-question",
    ),
    path("attempts/<int:pk>/review/", views.attempt_review, name="quizzes-attempt-review"),
    path("attempts/<int:pk>/submit/", views.attempt_submit, name="quizzes-attempt-submit"),
]
