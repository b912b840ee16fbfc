from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="accounts-login",
    ),
    # Django's LogoutView accepts POST only, so a link prefetch cannot log anyone out.
    path("logout/", auth_views.LogoutView.as_view(), name="accounts-logout"),
    path("signup/", views.signup, name="accounts-signup"),
]
