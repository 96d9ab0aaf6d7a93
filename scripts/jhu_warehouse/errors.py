"""The one exception the command line turns into a single line and a non-zero exit."""


class JhuError(Exception):
    """A problem the user can fix: the message names the file, column or setting and what is wrong.

    Raised anywhere in the package; only the command line catches it. The message must never
    contain a credential.
    """


class LakeChangedError(JhuError):
    """A conditional write found the object replaced since it was read (another writer)."""


class StaleReadError(JhuError):
    """Taking the lake's lock at a run's first write found the lake moved since the run read it.

    Raised with the lock held, so the run can start again under it (`lake.locking`).
    """
