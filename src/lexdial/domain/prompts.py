"""The prompts a campaign's calls play, from its message settings."""

from __future__ import annotations

from lexdial.domain import telephony as tel
from lexdial.domain.campaign_spec import CampaignSpec
from lexdial.domain.script import spoken_seconds

#: silence after a message so a listener can still press the key (seconds)
KEY_GRACE_S = 3.0


def build_prompts(spec: CampaignSpec) -> dict[str, tel.Prompt]:
    """Message, voicemail, opt-out confirmation and (live modes) safe-harbor prompts.

    A prompt without an audio file is spoken by the adapter's TTS; its length is estimated
    from its words. The message keeps a few seconds of silence at the end for the key.
    """
    m = spec.message
    text = m.text or ""
    out = {
        tel.MESSAGE: tel.Prompt(text, spoken_seconds(text) + KEY_GRACE_S, m.audio),
        tel.OPTOUT_CONFIRM: tel.Prompt(
            m.optout_confirm_text, spoken_seconds(m.optout_confirm_text)
        ),
    }
    voicemail = m.voicemail_text or text
    out[tel.VOICEMAIL] = tel.Prompt(
        voicemail,
        spoken_seconds(voicemail),
        m.voicemail_audio or (None if m.voicemail_text else m.audio),
    )
    if m.safe_harbor_text:
        out[tel.SAFE_HARBOR] = tel.Prompt(
            m.safe_harbor_text, spoken_seconds(m.safe_harbor_text) + KEY_GRACE_S
        )
    return out
