from django.urls import path

from . import views

urlpatterns = [
    path("", views.topology_list, name="labs-topology-list"),
    path("topologies/<int:pk>/", views.topology_detail, name="labs-topology-detail"),
    path("topologies/<int:pk>/run/", views.run_start, name="labs-run-start"),
    path("runs/<int:pk>/", views.run_detail, name="labs-run-detail"),
    path("runs/<int:pk>/stop/", views.run_stop, name="labs-run-stop"),
]
