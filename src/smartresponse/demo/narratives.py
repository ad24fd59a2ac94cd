"""Short, made-up call narratives and field notes for the demo city, by APCO incident type."""

from __future__ import annotations

PLACES = (
    "the Church Street Marketplace",
    "City Hall Park",
    "the bus station on St Paul St",
    "the public library on College St",
    "the waterfront bike path",
    "a laundromat on North Winooski Ave",
    "the grocery store on Pine St",
    "the food shelf on North Ave",
    "a coffee shop on Main St",
    "the pharmacy on Shelburne Rd",
    "the community college on Cherry St",
    "Battery Park",
    "the parking garage on Bank St",
    "a church on Pearl St",
)

NARRATIVES: dict[str, tuple[str, ...]] = {
    "WELFARE": (
        "Caller reports a man lying on the sidewalk near {place}, breathing but not answering "
        "passers-by.",
        "Neighbour has not seen the older woman upstairs at {address} for three days; mail is "
        "piling up.",
        "Woman sitting on a bench on {street} for hours, underdressed for the cold, talking to "
        "herself.",
        "Mother asks for a check on her adult son at {address}; he texted that he 'can't do "
        "this anymore'. No weapons known.",
        "Bus driver reports a passenger who would not get off at the end of the line, seems "
        "confused.",
    ),
    "MNTL": (
        "Caller's brother is hearing voices and has not slept in two days; calm but frightened. "
        "No weapons in the home.",
        "Man shouting at traffic signs on {street}, confused, not threatening anyone.",
        "Staff at {place} report a person pacing and crying in the lobby, asking for help.",
        "Woman says people no one else can see are following her; asks for someone to talk to.",
        "Young man at {place} says his medication ran out last week and he feels unsafe alone.",
    ),
    "CITASST": (
        "Man asks for help finding a shelter bed tonight; has a backpack and a dog.",
        "Store manager asks for help with a person asleep in the entryway of {place}.",
        "Used syringes reported next to the playground on {street}.",
        "Older man outside {place} cannot remember where he lives; friendly, cold.",
        "Family asks for help getting their relative to a detox bed.",
    ),
    "TRESPASS": (
        "Person sleeping in the doorway of a business on {street}; it opens in an hour and the "
        "owner wants them moved on.",
        "Unwanted guest in the lobby at {place} refusing to leave; no threats made.",
        "Two people camping behind the building at {address}; owner asks them to leave.",
        "Man keeps returning to {place} after being told to leave; staff describe him as "
        "confused, not aggressive.",
    ),
    "INTOX": (
        "Man intoxicated and unsteady, sitting on the curb on {street}; his friends left him.",
        "Woman very drunk and crying outside a bar on {street}, cannot say where she lives.",
        "Caller reports a person passed out on a bench at {place}; wakes when shaken.",
    ),
    "SUICTHRT": (
        "Caller says her roommate is talking about ending his life; no plan stated, no weapons "
        "in the apartment.",
        "Young man on the waterfront told a passer-by he wants to die; has not said how.",
        "Text from a friend: 'I don't want to be here anymore'. Friend is at home on {street}.",
    ),
    "INDECENT": (
        "Man urinating in public on {street}, appears disoriented.",
        "Person undressing at the bus shelter on {street}, does not respond to the caller.",
    ),
    "OD": (
        "Person unresponsive in the restroom at {place}; a friend is giving rescue breaths.",
        "Caller found a man slumped in a car on {street}, lips blue.",
    ),
    "DISORD": (
        "Loud argument in the street outside {place}; no weapons seen.",
        "Group shouting and pushing each other on {street}.",
    ),
    "SUSP": (
        "Caller reports someone trying car door handles on {street}.",
        "Person looking into windows of houses on {street} at night.",
    ),
    "NOISE": ("Loud music from an apartment at {address}.",),
    "LARCENY": ("Bike stolen from the rack outside {place}.", "Items taken from an unlocked car."),
    "THREATS": ("Caller says an ex-partner is sending threatening messages.",),
    "DVNA": ("Neighbour hears yelling and things breaking at {address}.",),
    "ASSAULT": ("Fight outside {place}; one person has a bloody nose.",),
    "MVA": ("Two-car crash at {street}; no injuries reported.",),
    "MVAINJY": ("Car hit a cyclist on {street}; the cyclist is on the ground.",),
    "ALRU": ("Burglar alarm sounding at a business on {street}.",),
    "JUV": ("Group of teenagers throwing rocks at cars on {street}.",),
    "PERMISS": ("Family reports an adult relative missing since yesterday.",),
}

GENERIC = (
    "{call_type} reported on {street}.",
    "{call_type}: caller on {street} asks for an officer.",
)

BACKUP_REASONS = (
    "Person became aggressive and picked up a bottle.",
    "Bystander started a fight with the person we were helping.",
    "Person disclosed a knife in his bag and would not set it down.",
    "Crowd gathering and shouting; team did not feel safe.",
)

CLINICAL_NOTES = {
    "resolved": (
        "Calm by the end of the contact; talked through what happened and agreed on a plan "
        "for tonight.",
        "Oriented, no thoughts of self-harm; declined more help, knows how to reach us.",
    ),
    "referred": (
        "Gave shelter and food-shelf information; agreed to a follow-up visit by case management.",
        "Referred to outpatient counselling; person asked for a call back in two days.",
    ),
    "transport_crisis": ("Agreed to go to the crisis stabilisation unit voluntarily.",),
    "transport_detox": ("Asked for detox; bed confirmed by phone before transport.",),
    "transport_shelter": ("Transported to the emergency shelter; bed held for tonight.",),
    "transport_ed": (
        "Vital signs outside normal range; medic recommended the emergency department and "
        "the person agreed.",
    ),
    "refused": ("Person declined all services; no immediate risk found.",),
    "unable_to_locate": ("Searched the area for 15 minutes; person not found.",),
    "involuntary_hold": (
        "Imminent risk to self; emergency evaluation arranged with the on-call psychiatrist.",
    ),
}

FIRST_NAMES = (
    "Alex", "Jordan", "Sam", "Taylor", "Chris", "Morgan", "Jamie", "Casey", "Robin", "Pat",
    "Dana", "Lee", "Avery", "Quinn", "Riley", "Drew",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Brooks", "Nguyen", "Lefebvre", "Osei", "Kowalski", "Rivera", "Thibault", "Ahmed",
    "Bouchard", "Carter", "Gagnon", "Hassan", "Murphy", "Tremblay", "Wright",
)  # fmt: skip
