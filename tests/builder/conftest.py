import pytest

from labs import services
from tests.factories import DEMO_TEMPLATE, make_topology


@pytest.fixture
def starter(db):
    return make_topology(slug="basic-alb", title_en="Basic ALB", title_ko="기본 ALB")


@pytest.fixture
def own_topology(learner):
    """The learner's topology, made as the site makes them: through the service."""
    return services.create_topology(
        learner, slug="mine", title_en="Mine", title_ko="내 것", document=DEMO_TEMPLATE
    )
