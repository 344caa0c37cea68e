"""A reply's pictures on Slack: uploaded with files_upload_v2 into the member's DM, each with its
alt text (`alt_txt`), in one upload. App Home and modals can't show uploads, so there the reply's
text, which carries every number, stands alone."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.replies import Image

log = logging.getLogger(__name__)
ALT_MAX = 1000  # Slack's limit for a file's alt text
TITLE_MAX = 250


async def upload_images(client: AsyncWebClient, channel: str, images: tuple[Image, ...]) -> None:
    drawn = [i for i in images if i.png]
    if not drawn:
        return
    uploads = [
        {
            "content": i.png,
            "filename": i.filename,
            "title": i.alt.split(":", 1)[0][:TITLE_MAX],
            "alt_txt": i.alt[:ALT_MAX],
        }
        for i in drawn
    ]
    try:
        await client.files_upload_v2(channel=channel, file_uploads=uploads)
    except SlackApiError as exc:
        if exc.response.get("error") == "ratelimited":
            raise
        # Without files:write (an older install) the text reply already said it all.
        log.warning("picture upload failed (%s); the text reply stands alone", exc.response.get("error"))
