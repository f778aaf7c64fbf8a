"""The classic tutorial's names and settings: the defaults of every form and of the demo."""

from __future__ import annotations

RESOURCE_GROUP = "rg-dev-ml-eastus-001"
LOCATION = "eastus"
STORAGE_ACCOUNT = "datadevmleastus001"
BLOB_CONTAINER = "data4ml"
WORKSPACE = "dev-heart-classifier"
COMPUTE_CLUSTER = "heartclassifycluster"
DATASET = "heart"
ENDPOINT = "heart-classify-endpoint"
DEPLOYMENT = "heart-classify-deployment"
TEST_FRACTION = 0.1
SEED = 42
