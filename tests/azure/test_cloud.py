"""The cloud setting: what MLClient is told, so that changing a cloud's endpoints takes effect."""

from __future__ import annotations

from core.azure.cloud import KNOWN_CLOUDS, PUBLIC_CLOUD, custom_cloud


def test_known_clouds_keep_azure_ml_s_own_names_and_need_no_metadata() -> None:
    for name, cloud in KNOWN_CLOUDS.items():
        assert cloud.ml_cloud_name == name
        assert cloud.ml_client_kwargs() == {"cloud": name}


def test_a_custom_cloud_is_registered_under_a_name_of_its_endpoints() -> None:
    """azure-ai-ml keeps the first endpoints it sees under a cloud name for the whole process:
    the same name with new URLs must not reuse the old ones."""
    first = custom_cloud("CustomCloud", "https://arm.one.example/", "https://login.one.example/")
    again = custom_cloud("CustomCloud", "https://arm.one.example", "https://login.one.example")
    moved = custom_cloud("CustomCloud", "https://arm.two.example/", "https://login.one.example/")
    assert first.ml_cloud_name == again.ml_cloud_name
    assert first.ml_cloud_name != moved.ml_cloud_name
    assert first.ml_cloud_name.startswith("CustomCloud-")
    kwargs = moved.ml_client_kwargs()
    assert kwargs["cloud"] == moved.ml_cloud_name
    assert kwargs["cloud_metadata"]["resource_manager"] == "https://arm.two.example/"
    assert PUBLIC_CLOUD.ml_cloud_name == "AzureCloud"
