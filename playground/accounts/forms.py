from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User


class SignUpForm(UserCreationForm[User]):
    """Username and password only: the site needs no e-mail to teach load balancing."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)
