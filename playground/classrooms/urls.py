from django.urls import path

from . import views

urlpatterns = [
    path("", views.class_list, name="classrooms-list"),
    path("new/", views.class_create, name="classrooms-create"),
    path("join/", views.class_join, name="classrooms-join"),
    path("join/<str:code>/", views.class_join, name="classrooms-join-code"),
    path("<int:pk>/", views.class_detail, name="classrooms-detail"),
    path("<int:pk>/mine/", views.class_mine, name="classrooms-mine"),
    path("<int:pk>/assign/", views.class_assign, name="classrooms-assign"),
    path(
        "<int:pk>/assignments/<int:assignment>/delete/",
        views.class_unassign,
        name="classrooms-unassign",
    ),
    path("<int:pk>/archive/", views.class_archive, name="classrooms-archive"),
    path("<int:pk>/dashboard/", views.class_dashboard, name="classrooms-dashboard"),
    path("<int:pk>/live/", views.class_live, name="classrooms-live"),
    path("<int:pk>/live/start/", views.class_live_start, name="classrooms-live-start"),
    path("<int:pk>/hint/", views.class_hint_all, name="classrooms-hint-class"),
    path("<int:pk>/fault/", views.class_fault, name="classrooms-fault"),
    path("<int:pk>/stop/", views.class_stop_all, name="classrooms-stop-all"),
    path("<int:pk>/export.csv", views.class_export, name="classrooms-export"),
    path("<int:pk>/learners/<int:learner>/", views.class_learner, name="classrooms-learner"),
    path("<int:pk>/learners/<int:learner>/hint/", views.class_hint, name="classrooms-hint"),
    path("<int:pk>/learners/<int:learner>/stop/", views.class_stop, name="classrooms-stop"),
]
