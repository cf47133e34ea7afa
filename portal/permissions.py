"""Permission names and what each role may do where its ACL entry applies (spec §3)."""

VIEW = "view"  # see a folder, its appointments and counts
BOOK = "book"  # book appointments into a campaign
MANAGE = "manage"  # create and change clients' zones, agents, campaigns, steps, users
BOOK_OUT_OF_SCHEDULE = "book_out_of_schedule"  # rule 9: exceptional bookings, recorded
RELEASE = "release"  # let go of one's own hold
LIST_CLIENTS = "list_clients"
CREATE_CLIENT = "create_client"
CREATE_USER = "create_user"
AUTHENTICATED = "authenticated"

CLIENT_USER = (VIEW,)
ZONE_MANAGER = (VIEW,)
AGENT = (VIEW,)
OPERATOR = (VIEW, BOOK)
ACCOUNT_MANAGER = (VIEW, BOOK, MANAGE, BOOK_OUT_OF_SCHEDULE)
TRUSTED_OPERATOR = "trusted:out_of_schedule"  # principal of operators allowed rule 9's exception
