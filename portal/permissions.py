"""Permission names and what each role may do where its ACL entry applies (spec §3)."""

VIEW = "view"  # see a folder, its appointments and counts
BOOK = "book"  # book appointments into a campaign
MANAGE = "manage"  # create and change clients' zones, agents, campaigns, steps, users
BOOK_OUT_OF_SCHEDULE = "book_out_of_schedule"  # rule 9: exceptional bookings, recorded
RELEASE = "release"  # let go of one's own hold
CONFIRM = "confirm"  # confirm or postpone an appointment (rule 2)
CONFIRMATION_CALL = "confirmation_call"  # record the prospect's answer the day before (rule 3)
CONTACT = "contact"  # the agent contacted the prospect (rule 4)
OUTCOME = "outcome"  # what happened at the meeting
REQUEST_CANCELLATION = "request_cancellation"  # rule 5
DECIDE_CANCELLATION = "decide_cancellation"
DECLARE_UNAVAILABILITY = "declare_unavailability"  # rule 6
OVERRIDE_NOTICE = "override_notice"  # an unavailability at short notice, with a reason
LIST_CLIENTS = "list_clients"
CREATE_CLIENT = "create_client"
CREATE_USER = "create_user"
AUTHENTICATED = "authenticated"
STATISTICS = "statistics"  # confirmation, cancellation and no-show rates of a folder
OPERATOR_STATISTICS = "operator_statistics"  # the same per call-center operator: internal to the call-center
DOWNLOAD_EXPORT = "download_export"  # granted only on an export, to the user who asked for it
CALENDAR_FEED = "calendar_feed"  # have a private calendar URL of one's own folder (agent, zone manager)
READ_FEED = "read_feed"  # read a calendar feed: granted by the feed's secret, not by a login
DASHBOARD = "dashboard"  # the account managers' portfolio dashboard
SEE_JOBS = "see_jobs"  # the background jobs and their failures: admins only (through ALL_PERMISSIONS)
SEE_SIGN_INS = "see_sign_ins"  # everyone's sign-in audit and the locked accounts: admins only
MANAGE_SIGN_IN = "manage_sign_in"  # unlock an account, reset a lost two-factor device, require two-factor

CLIENT_USER = (VIEW, REQUEST_CANCELLATION, DECLARE_UNAVAILABILITY, STATISTICS)
ZONE_MANAGER = (VIEW, REQUEST_CANCELLATION, DECLARE_UNAVAILABILITY, STATISTICS)
AGENT_FOLDER = (VIEW, DECLARE_UNAVAILABILITY)  # the agent in his/her own folder
AGENT = (VIEW, CONFIRM, CONTACT, OUTCOME)  # the agent on his/her own appointments
OPERATOR = (VIEW, BOOK, CONFIRM, CONFIRMATION_CALL, OUTCOME)
ACCOUNT_MANAGER = (VIEW, BOOK, MANAGE, BOOK_OUT_OF_SCHEDULE, CONFIRM, CONFIRMATION_CALL, CONTACT, OUTCOME,
                   DECIDE_CANCELLATION, DECLARE_UNAVAILABILITY, OVERRIDE_NOTICE, STATISTICS, OPERATOR_STATISTICS)
TRUSTED_OPERATOR = "trusted:out_of_schedule"  # principal of operators allowed rule 9's exception
