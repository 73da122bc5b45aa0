from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class VictimsConfig(AppConfig):
    name = "victims"

    def ready(self) -> None:
        # The portal's cached access checks and pages end with any change to what
        # they show (victims/portal_cache.py says why by signal).
        from victims.portal_cache import RECEIVERS

        for model, receiver in RECEIVERS.items():
            for signal in (post_save, post_delete):
                signal.connect(
                    receiver,
                    sender=model,
                    weak=False,
                    dispatch_uid=f"portal_cache:{signal is post_save}:{model}",
                )
