"""Site-wide request guards that must answer before any view runs."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class RequestTooBigMiddleware:
    """A POST larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` gets a 413 page in the
    visitor's language.

    Django raises ``RequestDataTooBig`` when something first reads ``request.POST`` (the
    CSRF check does), and answers it with a bare 400, or the debug page when ``DEBUG``
    is on. Reading the form here, after ``LocaleMiddleware``, lets us answer it properly;
    every POST is parsed at this point anyway.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 - parsed for its exception
            except RequestDataTooBig:
                context = {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
                return render(request, "413.html", context, status=413)
        return self.get_response(request)
