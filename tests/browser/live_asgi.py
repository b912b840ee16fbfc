"""The site's ASGI application plus static files, as channels' live server test case serves it."""

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from playground.asgi import application as site

application = ASGIStaticFilesHandler(site)
