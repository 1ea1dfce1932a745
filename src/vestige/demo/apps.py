from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "vestige.demo"
    label = "demo"
    verbose_name = "Demonstration data"
