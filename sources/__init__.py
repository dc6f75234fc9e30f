"""Landing-source contracts and the demo landing generator."""
