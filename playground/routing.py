from django.urls import path

from labs.consumers import RunConsumer
from playground.classrooms.consumers import DashboardConsumer
from playground.classrooms.live_consumer import LiveQuizConsumer

websocket_urlpatterns = [
    path("ws/runs/<int:pk>/", RunConsumer.as_asgi()),
    path("ws/classes/<int:pk>/dashboard/", DashboardConsumer.as_asgi()),
    path("ws/classes/<int:pk>/live/", LiveQuizConsumer.as_asgi()),
]
