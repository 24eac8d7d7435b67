"""E-mail over SMTP: a plain-text and an HTML part, the snapshot (or chart) attached inline.

STARTTLS is used whenever the server offers it; ``require_tls`` refuses to send in the clear,
and with ``starttls`` (the default) a server that offers no STARTTLS never gets the password.
The idempotency key is the ``Idempotency-Key`` header and the basis of ``Message-ID``, which
mail clients use to drop a repeated copy.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from alerts.channels.base import IDEMPOTENCY_HEADER
from alerts.channels.failures import describe
from alerts.channels.media import read_image
from alerts.errors import DeliveryRefused, NotifierError
from alerts.notices import Delivery
from alerts.notify_config import EmailChannel
from alerts.render import render_email_html

IMAGE_CID = "stairwatch-image"


def build_email(delivery: Delivery, config: EmailChannel, image: bytes | None) -> EmailMessage:
    """The complete message for ``delivery`` (no I/O)."""
    notice = delivery.notice
    message = EmailMessage()
    message["Subject"] = notice.title
    message["From"] = config.sender
    message["To"] = ", ".join(config.to)
    message["Date"] = formatdate(notice.created_at, localtime=True)
    message["Message-ID"] = f"<{delivery.idempotency_key}@stairwatch>"
    message[IDEMPOTENCY_HEADER] = delivery.idempotency_key
    if notice.critical:
        message["X-Priority"] = "1"
    text = notice.markdown + (f"\n\n{notice.link}" if notice.link else "")
    message.set_content(text)
    with_image = image is not None and notice.image_path is not None
    message.add_alternative(
        render_email_html(notice, IMAGE_CID if with_image else None), subtype="html"
    )
    if image is not None and notice.image_path is not None:
        subtype = "png" if notice.image_path.endswith(".png") else "jpeg"
        html_part = message.get_payload()[1]  # type: ignore[index]
        assert isinstance(html_part, EmailMessage)
        html_part.add_related(image, maintype="image", subtype=subtype, cid=f"<{IMAGE_CID}>")
        message.add_attachment(
            image, maintype="image", subtype=subtype, filename=Path(notice.image_path).name
        )
    return message


class EmailSender:
    def __init__(self, name: str, config: EmailChannel, media_dir: Path) -> None:
        self.name = name
        self._config = config
        self._media_dir = media_dir

    def send(self, delivery: Delivery) -> None:
        image = read_image(self._media_dir, delivery.notice.image_path)
        message = build_email(delivery, self._config, image)
        where = f"{self._config.host}:{self._config.port}"
        try:
            with smtplib.SMTP(
                self._config.host, self._config.port, timeout=self._config.timeout_s
            ) as smtp:
                self._secure_and_login(smtp)
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            # The code only: the server's text may quote what it was sent.
            detail = f"SMTP {where} answered {exc.smtp_code}"
            if 500 <= exc.smtp_code < 600:
                raise DeliveryRefused(detail) from None
            raise NotifierError(detail) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryRefused(
                f"SMTP {where} refused every recipient: {list(exc.recipients)}"
            ) from None
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            raise NotifierError(f"SMTP {where}: {describe(exc)}") from None

    def _secure_and_login(self, smtp: smtplib.SMTP) -> None:
        smtp.ehlo()
        offered = smtp.has_extn("starttls")
        if self._config.starttls and offered:
            context = ssl.create_default_context(cafile=self._config.ca_file)
            smtp.starttls(context=context)
            smtp.ehlo()
        elif self._config.require_tls:
            raise DeliveryRefused(
                f"SMTP {self._config.host} offers no STARTTLS and require_tls is set"
            )
        elif self._config.starttls and self._config.username:
            # Offered STARTTLS may have been stripped on the way: retry, never log in in clear.
            raise NotifierError(
                f"SMTP {self._config.host} offers no STARTTLS: not sending the password in the "
                "clear (set starttls: false to allow it)"
            )
        if self._config.username:
            password = self._config.password.get_secret_value() if self._config.password else ""
            smtp.login(self._config.username, password)

    def close(self) -> None:
        return None
