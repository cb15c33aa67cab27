"""Made-up personal names for synthetic customers of every simulator.

``FIRST_NAMES`` and ``LAST_NAMES`` reflect the mix of a UK audience; ``IRISH_FIRST_NAMES``
and ``IRISH_LAST_NAMES`` that of an audience in Ireland. Order matters: simulators pick
by index from a seed, so appending is safe and reordering changes every dataset.
"""

from __future__ import annotations

__all__ = ["FIRST_NAMES", "IRISH_FIRST_NAMES", "IRISH_LAST_NAMES", "LAST_NAMES"]

FIRST_NAMES: tuple[str, ...] = (
    "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Noah", "Mia", "Jack", "Ivy",
    "Leo", "Lily", "Arthur", "Isabella", "Muhammad", "Rosie", "Oscar", "Sophia", "Charlie",
    "Grace", "Jacob", "Freya", "Thomas", "Poppy", "Henry", "Emily", "William", "Ella",
    "Alfie", "Evie", "Joshua", "Florence", "Freddie", "Willow", "Archie", "Daisy",
    "Priya", "Aisha", "Ravi", "Chen", "Siobhan", "Rhys", "Catriona", "Dafydd", "Niamh",
    "Kwame", "Zainab", "Tomasz", "Agnieszka", "Margaret", "David", "Susan", "Peter",
    "Janet", "Graham", "Pauline", "Keith", "Brenda", "Colin", "Hilary",
)

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
    "Patel", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts",
    "Green", "Hall", "Thomas", "Clarke", "Jackson", "Wood", "Harris", "Edwards", "Turner",
    "Martin", "Cooper", "Hill", "Ward", "Hughes", "Moore", "Clark", "King", "Harrison",
    "Lewis", "Baker", "Lee", "Allen", "Morris", "Khan", "Scott", "Watson", "Davis",
    "Parker", "James", "Bennett", "Young", "Phillips", "Begum", "Ali", "Campbell",
    "Kowalski", "Nguyen", "Okafor", "Murphy", "MacLeod", "Pritchard", "Ahmed", "Singh",
    "Fraser",
)

IRISH_FIRST_NAMES: tuple[str, ...] = (
    "Aoife", "Ciarán", "Saoirse", "Seán", "Niamh", "Oisín", "Siobhán", "Darragh", "Róisín",
    "Cian", "Caoimhe", "Pádraig", "Sinéad", "Eoin", "Orla", "Conor", "Clodagh", "Fionn",
    "Gráinne", "Tadhg", "Aisling", "Donal", "Méabh", "Colm", "Deirdre", "Ruairí", "Eimear",
    "Declan", "Bríd", "Liam", "Úna", "Cathal", "Maeve", "Diarmuid", "Nuala", "Fiachra",
    "Mary", "John", "Patrick", "Bridget", "Michael", "Catherine", "James", "Margaret",
    "Joseph", "Anne", "Emma", "Jack", "Sophie", "Adam", "Chloe", "Luke", "Ava", "Daniel",
)

IRISH_LAST_NAMES: tuple[str, ...] = (
    "Murphy", "Kelly", "O'Sullivan", "Walsh", "Smith", "O'Brien", "Byrne", "Ryan",
    "O'Connor", "O'Neill", "O'Reilly", "Doyle", "McCarthy", "Gallagher", "O'Doherty",
    "Kennedy", "Lynch", "Murray", "Quinn", "Moore", "McLoughlin", "O'Carroll", "Connolly",
    "Daly", "O'Connell", "Wilson", "Dunne", "Brennan", "Burke", "Collins", "Campbell",
    "Clarke", "Johnston", "Hughes", "Ó Súilleabháin", "Mac Giolla Phádraig", "Farrell",
    "Fitzgerald", "Brady", "Kavanagh", "Nolan", "Kowalska", "Nowak", "da Silva", "Okonkwo",
)
