"""Telephony media streams (Twilio, Plivo, Telnyx): wire formats, answer documents, webhook signatures, the
audio edge and the transport that joins a platform's WebSocket to a session.

They need the vendor SDKs of the ``phone`` extra (``pip install 'parley[phone]'``): without them, importing any
module of this package raises MissingExtraError (an ImportError) naming the extra."""

from pipeline.base.extras import require_extra

require_extra("phone", "the telephony transports (Twilio, Plivo, Telnyx webhooks and `parley dial`)")
