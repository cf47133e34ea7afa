from setuptools import find_packages, setup

requires = [
    "pyramid>=2.0",
    "pyramid_tm",
    "pyramid_retry",
    "pyramid_jinja2",
    "pyramid_mailer",
    "SQLAlchemy>=2.0",
    "zope.sqlalchemy>=3.0",
    "transaction",
    "alembic",
    "psycopg[binary]>=3.1",
    "orjson",  # JSON columns read by psycopg
    "argon2-cffi",
    "cryptography",  # stored secrets that must be read back (webhook signing secrets), Fernet
    "deform>=3.0",
    "colander>=2.0",
    "Babel",
    "waitress",
    "gunicorn",
    "redis",
    "requests",  # webhook deliveries (portal/webhooks/delivery.py)
    "rq>=2.0",
    "openpyxl",
    "lxml",  # openpyxl's fast streaming writer (write-only workbooks); without it, 3 ms a row
    "holidays",
    "icalendar",
    "pyotp",  # two-factor sign-in (TOTP)
    "segno",  # its QR code, drawn as SVG on the server
    "zxcvbn",  # its list of the 30,000 most common passwords (refused)
]

tests_require = [
    "pytest",
    "pytest-xdist",
    "WebTest",
    "jsonschema",
    "openapi-spec-validator",
    "schemathesis>=4.30,<5",  # the OpenAPI fuzzer of tests/functional/test_fuzz.py (and make fuzz)
    "import-linter",  # the layer contracts of .importlinter
    "standardwebhooks",  # the receivers' reference library: tests verify every delivery with it, not our signing
    "aiosmtpd",  # a real SMTP server the mail tests start, stop and start again
    # End-to-end tests in Debian's chromium (tests/browser); no browser is downloaded.
    "playwright",
    "axe-playwright-python",  # ships axe-core's script: no network at test time
]

bench_require = [
    "py-spy",
]

setup(
    name="appointment-quota-portal",
    version="0.1.0",
    description="The appointment-quota portal of a call-center and its client companies",
    packages=find_packages(include=["portal*", "campaigns*", "agents*", "callcenter*"]),
    include_package_data=True,
    package_data={"": ["templates/*.jinja2", "deform_templates/*.pt", "locale/*/LC_MESSAGES/*", "static/*", "*.json"]},
    zip_safe=False,
    python_requires=">=3.11",
    install_requires=requires,
    extras_require={"test": tests_require, "bench": bench_require},
    entry_points={
        "paste.app_factory": ["main = portal:main"],
        "console_scripts": ["portal-manage = callcenter.manage:main"],
    },
)
