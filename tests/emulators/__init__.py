"""Emulators of the provider APIs (Terra, Shape, AI Endurance) as small Starlette apps."""
