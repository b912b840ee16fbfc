from django.urls import path

from . import views

urlpatterns = [
    path("", views.topology_list, name="labs-topology-list"),
    path("topologies/new/", views.topology_new, name="labs-topology-new"),
    path("topologies/<int:pk>/", views.topology_detail, name="labs-topology-detail"),
    path("topologies/<int:pk>/fork/", views.topology_fork, name="labs-topology-fork"),
    path(
        "topologies/<int:pk>/parameters/",
        views.topology_parameters,
        name="labs-topology-parameters",
    ),
    path("topologies/<int:pk>/build/", views.builder, name="labs-topology-builder"),
    path("topologies/<int:pk>/build/save/", views.builder_save, name="labs-builder-save"),
    path("topologies/<int:pk>/build/delete/", views.builder_delete, name="labs-builder-delete"),
    path(
        "topologies/<int:pk>/build/template/",
        views.builder_template,
        name="labs-builder-template",
    ),
    path("topologies/<int:pk>/revisions/", views.revision_list, name="labs-topology-revisions"),
    path("topologies/<int:pk>/revisions/diff/", views.revision_diff, name="labs-revision-diff"),
    path(
        "topologies/<int:pk>/revisions/<int:number>/restore/",
        views.revision_restore,
        name="labs-revision-restore",
    ),
    path("topologies/<int:pk>/run/", views.run_start, name="labs-run-start"),
    path("runs/<int:pk>/", views.run_detail, name="labs-run-detail"),
    path("runs/<int:pk>/stop/", views.run_stop, name="labs-run-stop"),
    path("runs/<int:pk>/control/", views.run_control, name="labs-run-control"),
    path("runs/<int:pk>/access-log/", views.run_access_log, name="labs-run-access-log"),
    path("runs/<int:pk>/recording/", views.run_recording, name="labs-run-recording"),
    path("runs/<int:pk>/share/", views.run_share, name="labs-run-share"),
    path("runs/<int:pk>/unshare/", views.run_unshare, name="labs-run-unshare"),
    path("shared/<str:token>/", views.shared_run_detail, name="labs-shared-run"),
    path(
        "shared/<str:token>/recording/",
        views.shared_run_recording,
        name="labs-shared-run-recording",
    ),
]
