from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    name = "playground.quizzes"
    label = "quizzes"
    verbose_name = _("Quizzes")

    def ready(self) -> None:
        # The run page's socket asks in-lab questions through labs' extension hook.
        from labs import consumers

        from .live import LabQuiz

        if LabQuiz.open not in consumers.viewer_extensions:
            consumers.viewer_extensions.append(LabQuiz.open)
