from django.urls import path

from labs.consumers import RunConsumer
from playground.classrooms.consumers import DashboardConsumer

websocket_urlpatterns = [
    path("ws/runs/<int:pk>/", RunConsumer.as_asgi()),
    path("ws/classes/<int:pk>/dashboard/", DashboardConsumer.as_asgi()),
]
