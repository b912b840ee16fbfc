from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from labs.services import MAX_CLOCK_SPEED, MIN_CLOCK_SPEED


class RunOptionsForm(forms.Form):
    """What a learner may choose when pressing Run; the service checks the site's limits."""

    clock_speed = forms.IntegerField(
        label=_("Lab clock speed"),
        min_value=MIN_CLOCK_SPEED,
        max_value=MAX_CLOCK_SPEED,
        help_text=_("Health checks and other AWS timers run this many times faster."),
    )
    rps = forms.FloatField(
        label=_("Requests per second"),
        required=False,
        min_value=0.1,
        help_text=_("Leave empty to use the topology's own traffic."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clock_speed"].initial = settings.LAB_DEFAULT_CLOCK_SPEED
