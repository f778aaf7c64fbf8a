"""A stateful fake of Azure's control plane (Resource Manager, Storage, Machine Learning, and
Microsoft Entra sign-in), answering with the shapes and status codes of Azure's published REST
specs. Reach it through :class:`FakeTransport` (in process) or :class:`LoopbackCloud` (HTTPS on
127.0.0.1, as another cloud). See ``../shared/AZURE_OFFLINE_TESTING.md``."""

from tests.azure.fake.core import FakeAzure, Request, Response, arm_error
from tests.azure.fake.transport import FakeTransport

__all__ = ["FakeAzure", "FakeTransport", "Request", "Response", "arm_error"]
