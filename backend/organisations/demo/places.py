"""NHS mental health trusts (real names and ODS codes, invented wards) and the towns they serve,
with real coordinates and postcode districts. The demo's agency is a northern one, so the list
starts in the north west and spreads out: small seeds use the first few trusts, large ones more."""

from __future__ import annotations

from typing import NamedTuple


class Town(NamedTuple):
    name: str
    latitude: float
    longitude: float
    postcode_district: str


class TrustPlace(NamedTuple):
    name: str
    ods_code: str
    towns: tuple[Town, ...]


def _towns(*rows: tuple[str, float, float, str]) -> tuple[Town, ...]:
    return tuple(Town(*row) for row in rows)


TRUSTS: tuple[TrustPlace, ...] = (
    TrustPlace(
        "Greater Manchester Mental Health NHS Foundation Trust",
        "RXV",
        _towns(
            ("Manchester", 53.4808, -2.2426, "M13"),
            ("Prestwich", 53.5330, -2.2840, "M25"),
            ("Salford", 53.4875, -2.2901, "M6"),
            ("Wythenshawe", 53.3860, -2.2650, "M23"),
            ("Bolton", 53.5769, -2.4282, "BL3"),
            ("Trafford", 53.4470, -2.3080, "M41"),
        ),
    ),
    TrustPlace(
        "Pennine Care NHS Foundation Trust",
        "RT2",
        _towns(
            ("Oldham", 53.5409, -2.1114, "OL1"),
            ("Rochdale", 53.6097, -2.1561, "OL11"),
            ("Bury", 53.5933, -2.2966, "BL9"),
            ("Stockport", 53.4106, -2.1575, "SK2"),
            ("Ashton-under-Lyne", 53.4888, -2.0980, "OL6"),
            ("Heywood", 53.5920, -2.2190, "OL10"),
        ),
    ),
    TrustPlace(
        "Mersey Care NHS Foundation Trust",
        "RW4",
        _towns(
            ("Liverpool", 53.4084, -2.9916, "L7"),
            ("Maghull", 53.5166, -2.9410, "L31"),
            ("Southport", 53.6475, -3.0053, "PR8"),
            ("St Helens", 53.4539, -2.7375, "WA10"),
            ("Kirkby", 53.4830, -2.8920, "L32"),
            ("Bootle", 53.4460, -2.9920, "L20"),
        ),
    ),
    TrustPlace(
        "Lancashire & South Cumbria NHS Foundation Trust",
        "RW5",
        _towns(
            ("Preston", 53.7632, -2.7031, "PR1"),
            ("Blackpool", 53.8175, -3.0357, "FY3"),
            ("Lancaster", 54.0466, -2.8007, "LA1"),
            ("Blackburn", 53.7486, -2.4875, "BB2"),
            ("Burnley", 53.7893, -2.2405, "BB10"),
            ("Kendal", 54.3280, -2.7463, "LA9"),
            ("Barrow-in-Furness", 54.1108, -3.2261, "LA14"),
            ("Chorley", 53.6530, -2.6320, "PR7"),
        ),
    ),
    TrustPlace(
        "Cheshire and Wirral Partnership NHS Foundation Trust",
        "RXA",
        _towns(
            ("Chester", 53.1934, -2.8931, "CH2"),
            ("Birkenhead", 53.3934, -3.0148, "CH41"),
            ("Macclesfield", 53.2587, -2.1270, "SK10"),
            ("Crewe", 53.0979, -2.4416, "CW1"),
            ("Ellesmere Port", 53.2790, -2.9020, "CH65"),
            ("Wallasey", 53.4230, -3.0650, "CH44"),
        ),
    ),
    TrustPlace(
        "Cumbria, Northumberland, Tyne and Wear NHS Foundation Trust",
        "RX4",
        _towns(
            ("Newcastle upon Tyne", 54.9783, -1.6178, "NE1"),
            ("Morpeth", 55.1680, -1.6880, "NE61"),
            ("Sunderland", 54.9069, -1.3838, "SR2"),
            ("Carlisle", 54.8925, -2.9329, "CA1"),
            ("Gateshead", 54.9527, -1.6034, "NE8"),
            ("North Shields", 55.0177, -1.4486, "NE29"),
        ),
    ),
    TrustPlace(
        "Tees, Esk and Wear Valleys NHS Foundation Trust",
        "RX3",
        _towns(
            ("Middlesbrough", 54.5742, -1.2350, "TS4"),
            ("Darlington", 54.5236, -1.5595, "DL1"),
            ("Durham", 54.7761, -1.5733, "DH1"),
            ("York", 53.9600, -1.0873, "YO31"),
            ("Hartlepool", 54.6863, -1.2129, "TS24"),
            ("Northallerton", 54.3390, -1.4340, "DL6"),
        ),
    ),
    TrustPlace(
        "South West Yorkshire Partnership NHS Foundation Trust",
        "RXG",
        _towns(
            ("Wakefield", 53.6833, -1.4977, "WF1"),
            ("Huddersfield", 53.6458, -1.7850, "HD1"),
            ("Dewsbury", 53.6910, -1.6330, "WF13"),
            ("Barnsley", 53.5526, -1.4797, "S75"),
            ("Halifax", 53.7248, -1.8658, "HX1"),
        ),
    ),
    TrustPlace(
        "Leeds and York Partnership NHS Foundation Trust",
        "RGD",
        _towns(
            ("Leeds", 53.8008, -1.5491, "LS7"),
            ("Seacroft", 53.8190, -1.4560, "LS14"),
            ("Armley", 53.7990, -1.5900, "LS12"),
            ("Otley", 53.9050, -1.6920, "LS21"),
            ("Morley", 53.7400, -1.5980, "LS27"),
        ),
    ),
    TrustPlace(
        "Bradford District Care NHS Foundation Trust",
        "TAD",
        _towns(
            ("Bradford", 53.7960, -1.7594, "BD9"),
            ("Keighley", 53.8676, -1.9110, "BD21"),
            ("Shipley", 53.8330, -1.7770, "BD18"),
            ("Ilkley", 53.9250, -1.8220, "LS29"),
            ("Bingley", 53.8490, -1.8380, "BD16"),
        ),
    ),
    TrustPlace(
        "Sheffield Health and Social Care NHS Foundation Trust",
        "TAH",
        _towns(
            ("Sheffield", 53.3811, -1.4701, "S10"),
            ("Hillsborough", 53.4040, -1.5020, "S6"),
            ("Darnall", 53.3850, -1.4150, "S9"),
            ("Firth Park", 53.4140, -1.4510, "S5"),
            ("Heeley", 53.3590, -1.4720, "S8"),
        ),
    ),
    TrustPlace(
        "Rotherham Doncaster and South Humber NHS Foundation Trust",
        "RXE",
        _towns(
            ("Doncaster", 53.5228, -1.1285, "DN2"),
            ("Rotherham", 53.4326, -1.3635, "S60"),
            ("Scunthorpe", 53.5809, -0.6502, "DN15"),
            ("Mexborough", 53.4930, -1.2860, "S64"),
            ("Thorne", 53.6110, -0.9600, "DN8"),
        ),
    ),
    TrustPlace(
        "Humber Teaching NHS Foundation Trust",
        "RV9",
        _towns(
            ("Hull", 53.7676, -0.3274, "HU3"),
            ("Beverley", 53.8420, -0.4300, "HU17"),
            ("Bridlington", 54.0830, -0.1920, "YO16"),
            ("Goole", 53.7040, -0.8730, "DN14"),
            ("Scarborough", 54.2830, -0.4000, "YO12"),
        ),
    ),
    TrustPlace(
        "Nottinghamshire Healthcare NHS Foundation Trust",
        "RHA",
        _towns(
            ("Nottingham", 52.9548, -1.1581, "NG3"),
            ("Mansfield", 53.1472, -1.1987, "NG18"),
            ("Retford", 53.3220, -0.9430, "DN22"),
            ("Worksop", 53.3020, -1.1240, "S80"),
            ("Newark", 53.0760, -0.8090, "NG24"),
            ("Arnold", 53.0000, -1.1270, "NG5"),
        ),
    ),
    TrustPlace(
        "Derbyshire Healthcare NHS Foundation Trust",
        "RXM",
        _towns(
            ("Derby", 52.9225, -1.4746, "DE22"),
            ("Chesterfield", 53.2350, -1.4210, "S40"),
            ("Buxton", 53.2590, -1.9110, "SK17"),
            ("Ilkeston", 52.9700, -1.3090, "DE7"),
            ("Ripley", 53.0500, -1.4070, "DE5"),
        ),
    ),
    TrustPlace(
        "Birmingham and Solihull Mental Health NHS Foundation Trust",
        "RXT",
        _towns(
            ("Birmingham", 52.4862, -1.8904, "B15"),
            ("Erdington", 52.5230, -1.8390, "B23"),
            ("Solihull", 52.4130, -1.7780, "B91"),
            ("Northfield", 52.4150, -1.9680, "B31"),
            ("Small Heath", 52.4700, -1.8530, "B10"),
            ("Edgbaston", 52.4600, -1.9300, "B16"),
        ),
    ),
    TrustPlace(
        "Black Country Healthcare NHS Foundation Trust",
        "TAJ",
        _towns(
            ("Wolverhampton", 52.5862, -2.1288, "WV10"),
            ("Dudley", 52.5123, -2.0811, "DY1"),
            ("Walsall", 52.5860, -1.9820, "WS2"),
            ("West Bromwich", 52.5187, -1.9945, "B70"),
            ("Stourbridge", 52.4560, -2.1480, "DY8"),
        ),
    ),
    TrustPlace(
        "Midlands Partnership University NHS Foundation Trust",
        "RRE",
        _towns(
            ("Stafford", 52.8069, -2.1170, "ST16"),
            ("Shrewsbury", 52.7073, -2.7553, "SY3"),
            ("Telford", 52.6766, -2.4469, "TF1"),
            ("Burton upon Trent", 52.8019, -1.6370, "DE14"),
            ("Cannock", 52.6910, -2.0310, "WS11"),
            ("Tamworth", 52.6330, -1.6950, "B79"),
        ),
    ),
    TrustPlace(
        "North Staffordshire Combined Healthcare NHS Trust",
        "RLY",
        _towns(
            ("Stoke-on-Trent", 53.0027, -2.1794, "ST4"),
            ("Newcastle-under-Lyme", 53.0110, -2.2270, "ST5"),
            ("Leek", 53.1050, -2.0230, "ST13"),
            ("Hanley", 53.0240, -2.1740, "ST1"),
        ),
    ),
    TrustPlace(
        "Leicestershire Partnership NHS Trust",
        "RT5",
        _towns(
            ("Leicester", 52.6369, -1.1398, "LE5"),
            ("Loughborough", 52.7721, -1.2062, "LE11"),
            ("Hinckley", 52.5410, -1.3730, "LE10"),
            ("Melton Mowbray", 52.7660, -0.8860, "LE13"),
            ("Market Harborough", 52.4780, -0.9200, "LE16"),
        ),
    ),
    TrustPlace(
        "Coventry and Warwickshire Partnership NHS Trust",
        "RYG",
        _towns(
            ("Coventry", 52.4068, -1.5197, "CV2"),
            ("Warwick", 52.2820, -1.5850, "CV34"),
            ("Nuneaton", 52.5230, -1.4680, "CV10"),
            ("Rugby", 52.3700, -1.2650, "CV21"),
        ),
    ),
    TrustPlace(
        "Lincolnshire Partnership NHS Foundation Trust",
        "RP7",
        _towns(
            ("Lincoln", 53.2307, -0.5406, "LN1"),
            ("Boston", 52.9789, -0.0266, "PE21"),
            ("Grantham", 52.9120, -0.6420, "NG31"),
            ("Louth", 53.3670, -0.0060, "LN11"),
        ),
    ),
)

SITE_SUFFIXES: tuple[str, ...] = (
    "Hospital",
    "Mental Health Unit",
    "Centre for Mental Health",
    "Resource Centre",
    "Park",
    "House",
)

STREETS: tuple[str, ...] = (
    "Moor Lane",
    "Hospital Road",
    "Church Street",
    "Park Road",
    "Station Road",
    "Victoria Road",
    "Mill Lane",
    "Manor Road",
    "Queens Drive",
    "Bridge Street",
    "Green Lane",
    "Chapel Street",
)
