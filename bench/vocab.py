"""Words the synthetic inventory is written with: Spanish and English, with the accents, eñes and
apostrophes of Andean names (Qoyllurit'i, Ch'uspa, Ñusta), so that search normalisation is exercised
the way the real inventory exercises it.

List values (roles, materials, techniques, ingredients) carry no comma, quote or bracket: the bulk-load
baseline writes them as CSV lists, which have no escape for those characters.
"""

from __future__ import annotations

DEPARTMENTS = (
    "Amazonas", "Áncash", "Apurímac", "Arequipa", "Ayacucho", "Cajamarca", "Callao", "Cusco",
    "Huancavelica", "Huánuco", "Ica", "Junín", "La Libertad", "Lambayeque", "Lima", "Loreto",
    "Madre de Dios", "Moquegua", "Pasco", "Piura", "Puno", "San Martín", "Tacna", "Tumbes", "Ucayali",
)

# Place names are a stem and an ending, sometimes after a saint's name: "San Pedro de Q'enqomarca".
PLACE_STEMS = (
    "Q'enqo", "Ch'aska", "Huanca", "Pacc", "Sach'a", "Tambo", "Uchu", "Yana", "Ñaupa", "K'ayra",
    "Ancco", "Raq'chi", "Sora", "Quishu", "Tinta", "Molle", "Ccollpa", "Ch'illi", "Huay", "P'isaq",
    "Challa", "Occo", "Llam", "Ccatca", "Q'ero", "Wiñay", "Paucar", "Chuqui", "Kuntur", "Suyu",
    "Antá", "Ñuñu", "Chaupi", "Hatun", "Ichu", "T'ika",
)
PLACE_ENDINGS = (
    "pampa", "marca", "cocha", "bamba", "huasi", "ccasa", "llacta", "rumi", "orcco", "puquio",
    "ch'aca", "k'asa", "wayku", "kancha", "ayllu", "tambo",
)
PLACE_SAINTS = ("San Pedro de", "Santa Rosa de", "San José de", "Santiago de", "Santa Ana de", "San Juan de")

GIVEN_NAMES = (
    "Jesús", "María", "Joaquín", "Ñusta", "Inés", "Florencio", "Túpac", "Q'orianka", "Sebastián",
    "Teófila", "Nicanor", "Alejandrina", "Mamerto", "Isidora", "Yupanqui", "Asunción", "Ángel",
    "Fortunata", "Julián", "Saturnina", "Efraín", "Sulema", "Hilario", "Máxima", "Cirilo", "Rosalía",
    "Epifanio", "Zenobia", "Grimaldo", "Nélida", "Amaru", "Killa", "Wayra", "Sumaq", "Domitila",
    "Edwin", "Yolanda", "Próspero", "Felícitas", "Ramón",
)
SURNAMES = (
    "Quispe", "Mamani", "Huamán", "Condori", "Ccori", "Apaza", "Ticona", "Llamoca", "Sulca", "Ayme",
    "Ñahui", "Chuquimia", "López", "Urbano", "Jiménez", "Rojas", "Gutiérrez", "Ccanto", "Huarcaya",
    "Ayala", "Pari", "Ch'oque", "Mayta", "Orihuela", "Poma", "Achata", "Yupanqui", "Cusihuamán",
    "T'ito", "Q'espi", "Ñaupari", "Pumacahua", "Ocaña", "Durán", "Sáenz", "Vílchez",
)

# (role es, role en, domain of the practice) — practitioners of an element take its role.
ROLES = {
    "Tradition": (("danzante", "dancer"), ("músico", "musician"), ("cargador", "bearer"), ("narrador", "storyteller"),
                  ("altomisayoq", "ritual specialist")),
    "Craft": (("retablista", "retablo maker"), ("tejedora", "weaver"), ("ceramista", "potter"),
              ("platero", "silversmith"), ("imaginero", "image carver"), ("burilador", "gourd carver")),
    "Recipe": (("cocinera", "cook"), ("chichera", "chicha brewer"), ("panadero", "baker")),
}

# Traditions: (category, name pattern es, name pattern en, cores (es, en)); {core} and {place} fill in.
TRADITIONS = (
    ("festival", "Fiesta del {core} de {place}", "Feast of the {core} in {place}", (
        ("Señor de Qoyllurit'i", "Lord of Qoyllurit'i"), ("Señor de los Temblores", "Lord of the Earthquakes"),
        ("Señor de Huanca", "Lord of Huanca"), ("Señor de Sank'a", "Lord of Sank'a"),
        ("Niño Compadrito", "Niño Compadrito"), ("Apóstol Santiago", "Apostle Santiago"))),
    ("festival", "Fiesta de la {core} de {place}", "Feast of the {core} of {place}", (
        ("Virgen de la Candelaria", "Virgin of Candelaria"), ("Virgen del Carmen", "Virgin of Carmen"),
        ("Cruz Velakuy", "Cruz Velakuy"), ("Mamacha Asunta", "Mamacha Asunta"))),
    ("dance", "Danza de los {core} de {place}", "Dance of the {core} of {place}", (
        ("Saqras", "Saqras"), ("Ukukus", "Ukukus"), ("Ch'unchos", "Ch'unchos"), ("Qhapaq Negros", "Qhapaq Negros"),
        ("Wititis", "Wititis"), ("Llameritos", "Llameritos"), ("Danzaq de tijeras", "scissors dancers"),
        ("Auquis", "Auquis"), ("Pallas", "Pallas"), ("Huaylías", "Huaylías"))),
    ("music", "Música de {core} de {place}", "{core} music of {place}", (
        ("pinkuyllu", "pinkuyllu"), ("waqrapuku", "waqrapuku"), ("arpa y violín", "harp and violin"),
        ("sikuris", "sikuris"), ("tinya", "tinya"), ("charango", "charango"))),
    ("ritual", "Ritual del {core} en {place}", "Ritual of the {core} in {place}", (
        ("pago a la tierra", "offering to the earth"), ("Yaku Raymi", "Yaku Raymi"), ("Chaku", "Chaku"),
        ("Herranza", "Herranza"), ("Q'eswachaka", "Q'eswachaka rebuilding"))),
    ("oral-tradition", "Relatos del {core} de {place}", "Tales of the {core} of {place}", (
        ("Amaru", "Amaru"), ("Pishtaco", "Pishtaco"), ("Ukuku", "Ukuku"), ("Inkarrí", "Inkarrí"),
        ("Qarqacha", "Qarqacha"))),
    ("knowledge", "Saberes del {core} en {place}", "Knowledge of the {core} in {place}", (
        ("calendario agrícola", "farming calendar"), ("cultivo de papa nativa", "native potato growing"),
        ("manejo del agua", "water management"), ("tejido de ichu", "ichu grass weaving"))),
)
CRAFTS = (
    ("Retablo de {place}", "Retablo of {place}", ("madera", "yeso", "pintura"), ("modelado", "policromía")),
    ("Textilería de {place}", "Textiles of {place}", ("lana de alpaca", "algodón"), ("telar de cintura", "ch'uspa")),
    ("Cerámica de {place}", "Pottery of {place}", ("arcilla", "engobe"), ("paleteado", "quema abierta")),
    ("Platería de {place}", "Silverwork of {place}", ("plata",), ("filigrana", "repujado")),
    ("Mate burilado de {place}", "Carved gourds of {place}", ("calabaza",), ("burilado", "quemado")),
    ("Imaginería de {place}", "Religious imagery of {place}", ("maguey", "pan de oro"), ("tallado", "encarnado")),
    ("Cestería de totora de {place}", "Totora basketry of {place}", ("totora",), ("trenzado",)),
    ("Piedra de Huamanga de {place}", "Huamanga stone carving of {place}", ("alabastro",), ("tallado",)),
)
RECIPES = (
    ("Puca picante de {place}", "Puca picante of {place}", ("papa", "ají panca", "maní"), "fiestas patronales"),
    ("Chiriuchu de {place}", "Chiriuchu of {place}", ("cuy", "gallina", "cochayuyo"), "Corpus Christi"),
    ("Qapchi de {place}", "Qapchi of {place}", ("queso fresco", "huacatay"), "cosecha"),
    ("Chicha de jora de {place}", "Chicha de jora of {place}", ("maíz de jora", "chancaca"), "faenas comunales"),
    ("Patachi de {place}", "Patachi of {place}", ("trigo", "habas", "charqui"), "Carnaval"),
    ("Huatia de {place}", "Huatia of {place}", ("papa nativa", "oca"), "cosecha"),
    ("Ch'uño phuti de {place}", "Ch'uño phuti of {place}", ("ch'uño", "huevo", "queso"), "Semana Santa"),
)
SERVED_WITH = ("mote", "cancha", "rocoto", "chicha", "pan chuta")

ORGANIZATIONS = (
    ("association", "Asociación de artesanos de {place}", "Artisans' association of {place}"),
    ("cooperative", "Cooperativa textil de {place}", "Textile cooperative of {place}"),
    ("government", "Dirección Desconcentrada de Cultura de {place}", "Decentralised Culture Office of {place}"),
    ("museum", "Museo de arte popular de {place}", "Folk art museum of {place}"),
    ("community-organization", "Comité de fiesta de {place}", "Festival committee of {place}"),
    ("ngo", "Centro de estudios andinos de {place}", "Andean studies centre of {place}"),
)

SOURCE_TYPES = (
    ("field-note", "Cuaderno de campo", "Field notebook"),
    ("interview", "Entrevista", "Interview"),
    ("recording", "Grabación", "Recording"),
    ("book", "Libro", "Book"),
    ("article", "Artículo", "Article"),
    ("legal-resolution", "Resolución viceministerial", "Vice-ministerial resolution"),
    ("web", "Ficha en línea", "Online record"),
)
PUBLISHERS = ("Ministerio de Cultura del Perú", "Instituto de Estudios Peruanos", "Universidad Nacional de San "
              "Cristóbal de Huamanga", "Centro Bartolomé de las Casas", "Museo Nacional de la Cultura Peruana")
