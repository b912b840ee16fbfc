import pytest
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

from tests.factories import make_run


@pytest.fixture
def ws_headers(client, learner):
    """The learner's session cookie and our own origin, as a browser would send them."""
    client.force_login(learner)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return [(b"origin", b"http://testserver"), (b"cookie", cookie)]


@pytest.fixture
def learners_run(learner):
    return make_run(owner=learner)


@pytest.fixture
def other_learners_run(other_learner):
    return make_run(owner=other_learner)


@pytest.fixture
async def control_channel():
    """A channel on the real channel layer, standing in for a worker's control channel."""
    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    channel = await layer.new_channel()
    yield layer, channel
    await layer.close_pools()
