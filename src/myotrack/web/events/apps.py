from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "myotrack.web.events"
    label = "events"
