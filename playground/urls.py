from django.contrib import admin
from django.urls import include, path

from playground.accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("playground.accounts.urls")),
    path("labs/", include("labs.urls")),
    path("quizzes/", include("playground.quizzes.urls")),
    path("classes/", include("playground.classrooms.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language, behind the switcher
    path("admin/", admin.site.urls),
]
