"""Kafka's single message transformations (SMTs)."""

from kanal_connect.transforms.base import Target, Transformation
from kanal_connect.transforms.registry import TRANSFORMATION_CLASSES, TRANSFORMATIONS

__all__ = ["TRANSFORMATIONS", "TRANSFORMATION_CLASSES", "Target", "Transformation"]
