"""Permission names and what each role may do where its ACL entry applies (spec §3)."""

VIEW = "view"  # see a folder, its appointments and counts
BOOK = "book"  # book appointments into a campaign
MANAGE = "manage"  # create and change clients' zones, agents, campaigns, steps, users
LIST_CLIENTS = "list_clients"
CREATE_CLIENT = "create_client"
CREATE_USER = "create_user"
AUTHENTICATED = "authenticated"

CLIENT_USER = (VIEW,)
ZONE_MANAGER = (VIEW,)
AGENT = (VIEW,)
OPERATOR = (VIEW, BOOK)
ACCOUNT_MANAGER = (VIEW, BOOK, MANAGE)
