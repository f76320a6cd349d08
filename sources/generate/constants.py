"""Every tunable number and vocabulary of the generator, in one place."""

from __future__ import annotations

SECONDS_PER_DAY = 86_400

# --- scale: rows per unit of the one knob (`customers`) -------------------------------------
CUSTOMERS_PER_ACCOUNT = 20  # B2B accounts = customers / 20
MIN_ACCOUNTS = 100  # floor: small runs still train the account churn and deal risk models
CUSTOMER_ACCOUNT_SHARE = 0.7  # the rest of the CRM accounts are prospects
ACCOUNTS_PER_REP = 60
ACCOUNTS_PER_CSM = 120
LEADS_PER_ACCOUNT = 3
IN_HISTORY_ACCOUNT_SHARE = 0.45  # accounts created from converted leads inside the history
OPPORTUNITIES_PER_ACCOUNT = 3.0
CONTACTS_PER_ACCOUNT = (2, 8)  # inclusive range
USAGE_EVENTS_PER_ACCOUNT_DAY = 0.8  # for a healthy customer account of median size
B2B_TICKETS_PER_ACCOUNT_YEAR = 9.0
SHOPPER_TICKETS_PER_PERSON = 0.25

# --- commerce behaviour (the purchase process: sources/generate/purchases.py) -----------
PURCHASE_RATE_SHAPE = 1.2  # gamma shape of orders per year
PURCHASE_RATE_SCALE = 10.0  # gamma scale of orders per year
MEAN_LIFETIME_DAYS = 480.0  # mean time from acquisition to dropout
ACQUIRED_BEFORE_HISTORY_SHARE = 0.35
ITEMS_PER_ORDER_EXTRA = 1.5  # items per order = 1 + Poisson(1.5 * spend factor)
FAVOURITE_CATEGORY_SHARE = 0.6
RETURN_SHARE = 0.09
CANCELLED_ORDER_SHARE = 0.03
REFUNDED_ORDER_SHARE = 0.02
DISCOUNT_SHARE = 0.2
#: People with a WhatsApp opt-in, and the share of those who gave another number than their phone.
WHATSAPP_SHARE = 0.35
WHATSAPP_OTHER_NUMBER_SHARE = 0.1
#: People with an app QR code, and the share of those whose store record had it scanned.
QR_CODE_SHARE = 0.4
QR_SCANNED_IN_STORE_SHARE = 0.6
#: People who came in through a referral by an earlier customer.
REFERRED_SHARE = 0.08
#: Web (not app) sessions without a device id, known by their cookie only.
COOKIE_ONLY_SESSION_SHARE = 0.1
#: A browser cookie lives this many days before it is cleared and a new one starts.
COOKIE_LIFETIME_DAYS = 180
#: Product views per browse session = 1 + Poisson(this); share of views in the favourite category.
PRODUCT_VIEWS_PER_SESSION = 2.0
#: Sessions with a site search, and searches in them = 1 + Poisson(0.4).
SEARCH_SESSION_SHARE = 0.3
SEARCH_WORDS = ("new", "cheap", "best", "gift", "sale", "black", "premium", "kids")
BROWSE_SESSIONS_PER_ORDER = 1.0
ANONYMOUS_SESSION_SHARE = 0.12
BROWSE_CART_SHARE = 0.3  # browse sessions with a cart_add that ends in no purchase
N_PRODUCTS = 600
N_STORES = 40
CATEGORIES = (
    "apparel",
    "shoes",
    "accessories",
    "beauty",
    "home",
    "kitchen",
    "electronics",
    "toys",
    "sports",
    "books",
)
CATEGORY_PRICE_MEDIAN = (45.0, 80.0, 25.0, 22.0, 40.0, 35.0, 150.0, 30.0, 55.0, 15.0)
RETURN_REASONS = ("wrong_size", "damaged", "not_as_described", "changed_mind", "late_delivery")
TRAFFIC_SOURCES = ("direct", "organic", "paid", "email", "social", "referral")
TRAFFIC_SOURCE_P = (0.3, 0.3, 0.2, 0.12, 0.08, 0.03)
DEVICE_TYPES = ("desktop", "mobile", "tablet")
DEVICE_TYPE_P = (0.4, 0.5, 0.1)
#: Month-of-year demand for commerce (January first): November/December peak.
COMMERCE_MONTH_FACTOR = (0.8, 0.75, 0.9, 0.95, 1.0, 0.95, 0.9, 0.95, 1.0, 1.05, 1.5, 1.75)
#: Day-of-week demand, Monday first.
COMMERCE_WEEKDAY_FACTOR = (0.9, 0.92, 0.95, 1.0, 1.1, 1.2, 1.05)
B2B_WEEKDAY_FACTOR = (1.1, 1.15, 1.15, 1.1, 1.0, 0.25, 0.2)
COMMERCE_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 8, 8, 8, 9, 11, 13, 14, 12, 8, 4)
B2B_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 8, 13, 15, 15, 14, 12, 14, 15, 14, 12, 9, 6, 4, 3, 2, 1, 1)

# --- people and identities -------------------------------------------------------------------
FIRST_NAMES = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Paul",
    "Ashley",
    "Steven",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kevin",
    "Carol",
    "Brian",
    "Amanda",
    "Aisha",
    "Mateo",
    "Yuki",
    "Priya",
    "Lukas",
    "Sofia",
    "Omar",
    "Chen",
    "Fatima",
    "Noah",
    "Elena",
    "Ravi",
    "Ingrid",
    "Kwame",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Kim",
    "Patel",
    "Muller",
]
EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me", "aol.com")
CITIES = (
    ("New York", "US"),
    ("Los Angeles", "US"),
    ("Chicago", "US"),
    ("Houston", "US"),
    ("Phoenix", "US"),
    ("Seattle", "US"),
    ("Denver", "US"),
    ("Boston", "US"),
    ("Austin", "US"),
    ("Atlanta", "US"),
    ("Toronto", "CA"),
    ("Vancouver", "CA"),
)
CUSTOMER_RECORD_COUNT_P = (0.6, 0.3, 0.1)  # persons with 1, 2 or 3 shop customer records
FAMILY_SHARE = 0.02  # share of persons in households sharing one loyalty card
FAMILY_SIZE = (4, 6)  # inclusive
STORE_RECORD_EMAIL_SHARE = 0.5  # store records that also captured an email (a chain link)
CONTACT_FROM_POOL_SHARE = 0.1  # CRM contacts/leads who are also shoppers
SECOND_DEVICE_SHARE = 0.4

# --- B2B -------------------------------------------------------------------------------------
SEGMENTS = ("smb", "mid_market", "enterprise")
SEGMENT_P = (0.6, 0.3, 0.1)
SEGMENT_EMPLOYEES = ((10, 200), (200, 2_000), (2_000, 50_000))
INDUSTRIES = ("software", "retail", "finance", "healthcare", "manufacturing", "education", "media")
REGIONS = ("north_america", "emea", "apac", "latam")
REGION_P = (0.5, 0.3, 0.15, 0.05)
PLANS = ("starter", "growth", "business", "enterprise")
PLAN_SEAT_PRICE = (15.0, 29.0, 49.0, 79.0)
#: Plan probabilities per segment (rows follow SEGMENTS).
SEGMENT_PLAN_P = ((0.55, 0.35, 0.1, 0.0), (0.1, 0.4, 0.4, 0.1), (0.0, 0.1, 0.4, 0.5))
SEGMENT_SEATS = ((3, 25), (20, 150), (100, 800))
CANCEL_SHARE = 0.3  # customer accounts that cancel inside the history
DECLINE_DAYS = (60, 90)  # usage declines over this many days before cancellation
UPSELL_SHARE = 0.25  # healthy accounts that add seats over time
CANCEL_REASONS = ("too_expensive", "missing_features", "switched_competitor", "poor_support")
FEATURE_KEYS = ("dashboards", "reports", "api", "alerts", "integrations", "exports", "admin")
EVENT_NAMES = ("login", "feature_used", "export", "invite_sent", "integration_connected")
EVENT_NAME_P = (0.2, 0.6, 0.1, 0.05, 0.05)
TITLES = ("CEO", "CTO", "VP Sales", "Head of Data", "Analyst", "Engineer", "Ops Manager", "CFO")
COMPANY_WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Cyberdyne",
    "Tyrell",
    "Wonka",
    "Aperture",
    "Massive",
    "Dynamic",
    "Gringotts",
    "Oscorp",
    "Nakatomi",
    "Pied",
    "Piper",
    "Monarch",
    "Zenith",
    "Apex",
    "Vertex",
]
COMPANY_SUFFIXES = ("Inc", "LLC", "Group", "Labs", "Systems", "Co", "GmbH", "Ltd")
TEAMS = ("Sales East", "Sales West", "Sales EMEA", "Success")

# --- deals -----------------------------------------------------------------------------------
STAGES = ("prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost")
STAGE_PROBABILITY = (10, 20, 50, 75, 100, 0)
STAGE_MEDIAN_DAYS = (7.0, 12.0, 15.0, 12.0)
LEAD_SOURCES = ("web", "referral", "event", "outbound", "partner", "paid_search")
LEAD_SOURCE_P = (0.3, 0.15, 0.12, 0.2, 0.1, 0.13)
LEAD_SOURCE_WIN_LOGIT = (0.0, 0.8, 0.2, -0.5, 0.4, -0.3)
SEGMENT_WIN_LOGIT = (0.2, 0.0, -0.4)
DECLINING_SEGMENT = "mid_market"  # its win rate drops in the latest quarter
DECLINE_LOGIT = -1.6
STALL_LOGIT = -2.2  # per unit of log slowness
LOST_LINGER = 1.8  # lost deals sit this much longer in their last stage
OPPORTUNITY_TYPES = ("new_business", "upsell", "renewal")
COMPETITORS = ("Contoso", "Northwind", "Fabrikam", "Globomantics")
N_WEAK_REPS = 2
WEAK_REP_LOGIT = -1.5

# --- support ---------------------------------------------------------------------------------
TICKET_CATEGORIES_B2B = ("billing", "bug", "how_to", "feature_request", "outage")
TICKET_CATEGORIES_B2B_P = (0.15, 0.3, 0.3, 0.15, 0.1)
TICKET_CATEGORIES_SHOP = ("shipping", "returns", "billing", "how_to")
TICKET_CATEGORIES_SHOP_P = (0.45, 0.3, 0.15, 0.1)
TICKET_CHANNELS = ("email", "chat", "phone", "web")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")

# --- dirty rows ------------------------------------------------------------------------------
UNPARSEABLE_VALUES = ("n/a", "12,5x", "31/02/2025", "")

# --- customer success signals (marketing email, community, training, surveys) ---------------
MARKETING_EMAILS_PER_CONTACT_WEEK = 0.5
EMAIL_OPEN_P = 0.34  # healthy contact; falls by EMAIL_OPEN_DECLINE x decline before churn
EMAIL_OPEN_DECLINE = 0.75
EMAIL_CLICK_P = 0.3  # of opens
EMAIL_SOFT_BOUNCE_P = 0.02
EMAIL_UNSUBSCRIBE_P = 0.004  # of delivered
CONTACT_TENURE_DAYS = 1_500.0  # mean time a contact stays with the account (exponential)
CONTACT_LEAVES_BEFORE_CHURN_P = 0.4  # a contact of a churning account leaves in its decline
COMMUNITY_POSTS_PER_ACCOUNT_DAY = 0.05
COMMUNITY_POST_TYPES = ("question", "answer", "idea", "feedback", "praise")
COMMUNITY_POST_TYPE_P = (0.4, 0.25, 0.15, 0.1, 0.1)
COMMUNITY_UNLINKED_SHARE = 0.03  # posts by members not linked to an account
COMPETITOR_MENTION_P = 0.02  # healthy; rises by COMPETITOR_MENTION_DECLINE x decline
COMPETITOR_MENTION_DECLINE = 0.3
ONBOARDING_MODULES = (
    "onboarding_setup",
    "onboarding_data",
    "onboarding_integrations",
    "onboarding_reporting",
)
ONBOARDING_MODULE_GAP_DAYS = (5, 12)  # days between modules for a healthy account
ONBOARDING_SLOWDOWN_AT_RISK = 1.3  # accounts that will cancel onboard this much slower
ONBOARDING_PACE_SIGMA = 0.5  # lognormal spread of every account's onboarding pace
ONBOARDING_NO_SHOW_P = (0.08, 0.14)  # healthy, will cancel
WEBINAR_ENROLLMENTS_PER_ACCOUNT_DAY = 1 / 30
WEBINAR_COURSES = (
    "webinar_dashboards",
    "webinar_api",
    "webinar_automation",
    "webinar_best_practices",
    "certification_admin",
    "certification_analyst",
)
TRAINING_NO_SHOW_P = 0.12  # healthy; rises by TRAINING_NO_SHOW_DECLINE x decline
TRAINING_NO_SHOW_DECLINE = 0.55
TRAINING_CANCEL_P = 0.05
NPS_WAVE_DAYS = 91  # one NPS survey wave per quarter
NPS_RECIPIENTS = (1, 3)  # contacts surveyed per wave, inclusive
NPS_RESPONSE_P = 0.55  # healthy; falls by NPS_RESPONSE_DECLINE x decline
NPS_RESPONSE_DECLINE = 0.35
NPS_MEAN = 8.2  # healthy; falls by NPS_DECLINE x decline
NPS_DECLINE = 5.5
NPS_COMMENT_P = 0.4
