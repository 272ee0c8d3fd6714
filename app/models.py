"""Imports every model so the metadata (and Alembic) sees the whole schema."""
from app.accounts.models import *  # noqa: F403
from app.billing.models import *  # noqa: F403
from app.calls.models import *  # noqa: F403
from app.catalog.models import *  # noqa: F403
from app.contact.models import *  # noqa: F403
from app.core.changelog import ObjectChange  # noqa: F401
from app.core.idempotency import IdempotencyKey  # noqa: F401
from app.deliveries.models import *  # noqa: F403
from app.feed.models import *  # noqa: F403
from app.field.models import *  # noqa: F403
from app.indicators.models import *  # noqa: F403
from app.notifications.models import *  # noqa: F403
from app.supplies.models import *  # noqa: F403
from app.sync.models import *  # noqa: F403
