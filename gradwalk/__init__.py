"""The name users import (`from gradwalk.notebook import Walk`); the code lives in `app`."""
