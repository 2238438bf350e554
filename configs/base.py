"""The base of every config section."""

import pydantic


class Section(pydantic.BaseModel):
    """A config section: unknown keys are errors, values cannot change once validated."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)
