from django.contrib.auth.forms import UserCreationForm


class SignUpForm(UserCreationForm):
    """Username and password only: the site needs no e-mail to teach load balancing."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)
