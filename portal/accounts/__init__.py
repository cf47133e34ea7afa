"""People and their credentials (spec §3, README "Signing in safely"): users, sessions and API tokens
(``models``, ``security``), passwords and their reset (``passwords``), the lockout, the sign-in audit and
two-factor codes (``signin``), and their pages: signing in (``signin_views``), the user's own account
(``profile``) and personal API tokens (``tokens``)."""
