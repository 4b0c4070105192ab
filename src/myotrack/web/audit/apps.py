from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "myotrack.web.audit"
    label = "audit"
