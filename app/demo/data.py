"""The words the demo data is made of: real cities, printer makers and the manual's terms.

Everything here is plain data (and the calendar of Brazil's national holidays);
app.demo.generator draws from it with a seeded random.
Companies, people and e-mail domains are invented (e-mails use the reserved ``.example``
domain so nothing is ever delivered to a real mailbox).
"""
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class City:
    name: str
    state: str
    ddd: str
    cep_range: tuple[int, int]      # first five CEP digits
    lat: float
    lon: float
    districts: tuple[str, ...]


def _city(name, state, ddd, cep_from, cep_to, lat, lon, *districts):
    return City(name, state, ddd, (cep_from, cep_to), lat, lon, districts or ("Centro",))


# The dealer's three companies and the region each one serves (the first city is its seat).
REGIONS = {
    "SC": (
        _city("Florianópolis", "SC", "48", 88000, 88099, -27.5954, -48.5480, "Centro", "Trindade",
              "Estreito", "Itacorubi", "Córrego Grande", "Saco dos Limões", "Capoeiras",
              "Agronômica", "Coqueiros", "Ingleses", "Canasvieiras", "Santa Mônica"),
        _city("São José", "SC", "48", 88100, 88124, -27.6136, -48.6366, "Kobrasol", "Campinas",
              "Barreiros", "Forquilhinhas", "Roçado"),
        _city("Palhoça", "SC", "48", 88130, 88139, -27.6453, -48.6697, "Centro", "Pagani",
              "Ponte do Imaruim", "Pedra Branca"),
        _city("Joinville", "SC", "47", 89200, 89239, -26.3045, -48.8487, "Centro", "América",
              "Glória", "Bucarein", "Anita Garibaldi", "Boa Vista", "Costa e Silva"),
        _city("Blumenau", "SC", "47", 89000, 89099, -26.9194, -49.0661, "Centro", "Velha",
              "Itoupava Seca", "Garcia", "Vila Nova"),
        _city("Itajaí", "SC", "47", 88300, 88319, -26.9078, -48.6619, "Centro", "Fazenda",
              "São Vicente", "Cordeiros"),
        _city("Balneário Camboriú", "SC", "47", 88330, 88339, -26.9906, -48.6348, "Centro",
              "Pioneiros", "Nações", "Barra Sul"),
        _city("Criciúma", "SC", "48", 88800, 88819, -28.6775, -49.3697, "Centro", "Próspera",
              "Pinheirinho", "Michel"),
        _city("Tubarão", "SC", "48", 88700, 88709, -28.4667, -49.0069, "Centro", "Oficinas"),
        _city("Lages", "SC", "49", 88500, 88529, -27.8150, -50.3259, "Centro", "Coral"),
        _city("Chapecó", "SC", "49", 89800, 89816, -27.1004, -52.6152, "Centro",
              "Passo dos Fortes"),
    ),
    "PR": (
        _city("Curitiba", "PR", "41", 80000, 82999, -25.4284, -49.2733, "Centro", "Batel",
              "Água Verde", "Portão", "Bigorrilho", "Rebouças", "Cabral", "Boqueirão",
              "Cidade Industrial", "Santa Felicidade"),
        _city("São José dos Pinhais", "PR", "41", 83000, 83099, -25.5313, -49.2031, "Centro",
              "Afonso Pena"),
        _city("Araucária", "PR", "41", 83700, 83727, -25.5859, -49.4047, "Centro", "Thomaz Coelho"),
        _city("Colombo", "PR", "41", 83400, 83414, -25.2925, -49.2262, "Centro", "Guaraituba"),
        _city("Ponta Grossa", "PR", "42", 84000, 84099, -25.0945, -50.1633, "Centro", "Uvaranas",
              "Oficinas"),
        _city("Londrina", "PR", "43", 86000, 86099, -23.3045, -51.1696, "Centro", "Gleba Palhano"),
        _city("Maringá", "PR", "44", 87000, 87099, -23.4205, -51.9333, "Zona 01", "Zona 07"),
        _city("Cascavel", "PR", "45", 85800, 85827, -24.9573, -53.4590, "Centro", "Neva"),
    ),
    "SP": (
        _city("São Paulo", "SP", "11", 1000, 5999, -23.5505, -46.6333, "Bela Vista", "Consolação",
              "Pinheiros", "Vila Mariana", "Moema", "Santo Amaro", "Mooca", "Tatuapé", "Lapa",
              "Brás", "Barra Funda", "Itaim Bibi", "Vila Olímpia"),
        _city("Campinas", "SP", "19", 13000, 13139, -22.9099, -47.0626, "Centro", "Cambuí",
              "Taquaral", "Barão Geraldo"),
        _city("Guarulhos", "SP", "11", 7000, 7399, -23.4538, -46.5333, "Centro", "Vila Augusta"),
        _city("Santo André", "SP", "11", 9000, 9299, -23.6737, -46.5432, "Centro", "Vila Assunção"),
        _city("São Bernardo do Campo", "SP", "11", 9600, 9899, -23.6914, -46.5646, "Centro",
              "Rudge Ramos"),
        _city("Osasco", "SP", "11", 6000, 6299, -23.5325, -46.7917, "Centro", "Presidente Altino"),
        _city("Jundiaí", "SP", "11", 13200, 13219, -23.1857, -46.8978, "Centro", "Anhangabaú"),
        _city("Sorocaba", "SP", "15", 18000, 18109, -23.5015, -47.4526, "Centro", "Campolim"),
        _city("Limeira", "SP", "19", 13480, 13489, -22.5646, -47.4017, "Centro",
              "Vila Cidade Jardim"),
        _city("Santos", "SP", "13", 11000, 11099, -23.9608, -46.3336, "Gonzaga", "Boqueirão"),
    ),
}

DEALER = {
    "name": "IMAGEM SUL COMERCIO E LOCACAO DE EQUIPAMENTOS LTDA",
    "domain": "imagemsul.example",
    "companies": (  # (trade name, region); the first is the matriz
        ("IMAGEM SUL", "SC"),
        ("IMAGEM SUL - CURITIBA", "PR"),
        ("IMAGEM SUL - SÃO PAULO", "SP"),
    ),
}

STREETS = (
    "Rua Coronel Pedro Demoro", "Rua Sete de Setembro", "Rua XV de Novembro",
    "Avenida Marechal Deodoro", "Avenida Getúlio Vargas", "Rua Santos Dumont",
    "Avenida Presidente Kennedy", "Rua Dom Pedro II", "Avenida Brasil", "Rua das Flores",
    "Rua Tiradentes", "Rua Barão do Rio Branco", "Avenida Duque de Caxias", "Rua São Paulo",
    "Rua Bocaiúva", "Rua Felipe Schmidt", "Rua Visconde de Ouro Preto", "Avenida Rio Branco",
    "Rua Padre Anchieta", "Rua Marechal Floriano Peixoto", "Avenida das Torres",
    "Rua Almirante Lamego", "Rua Conselheiro Mafra", "Rua Augusta",
    "Rua Voluntários da Pátria", "Rua João Pinto", "Rua Frei Caneca", "Avenida Independência",
    "Rua Emílio Blum", "Rua Lauro Linhares",
)
ADDRESS_COMPLEMENTS = ("", "", "", " - Sala 302", " - Galpão 2", " - 2º andar", " - Loja 5",
                       " - Bloco B", " - Conj. 1204")

FIRST_NAMES = (
    "ANA", "BEATRIZ", "CAMILA", "CARLA", "CLAUDIA", "DANIELA", "FERNANDA", "GABRIELA", "JULIANA",
    "LARISSA", "LETICIA", "LUCIANA", "MARIANA", "PATRICIA", "RENATA", "SANDRA", "TATIANE",
    "VANESSA", "ALINE", "BRUNA", "ADRIANO", "ANDRE", "BRUNO", "CARLOS", "DANIEL", "DIEGO",
    "EDUARDO", "FABIO", "FELIPE", "GUSTAVO", "JOAO", "JOSE", "LEANDRO", "LUCAS", "LUCIANO",
    "MARCELO", "MARCOS", "PAULO", "RAFAEL", "RODRIGO", "SERGIO", "THIAGO", "VINICIUS", "ROBERTO",
)
SURNAMES = (
    "SILVA", "SANTOS", "OLIVEIRA", "SOUZA", "RODRIGUES", "FERREIRA", "ALVES", "PEREIRA", "LIMA",
    "GOMES", "COSTA", "RIBEIRO", "MARTINS", "CARVALHO", "ALMEIDA", "LOPES", "SOARES",
    "FERNANDES", "VIEIRA", "BARBOSA", "ROCHA", "DIAS", "NASCIMENTO", "ANDRADE", "MOREIRA",
    "NUNES", "MARQUES", "MACHADO", "MENDES", "FREITAS", "CARDOSO", "RAMOS", "GONCALVES",
    "SANTANA", "TEIXEIRA", "MORAES", "PEÇANHA", "SCHMIDT", "MULLER", "BECKER", "ZANELLA",
    "BORTOLOTTO", "KOERICH", "DA LUZ", "VARGAS", "PEREIRA NETO", "WEBER", "FONSECA",
)
# Proper names used in company names besides surnames.
BRAND_WORDS = (
    "BOA VISTA", "PRIMAVERA", "HORIZONTE", "ALIANCA", "PROGRESSO", "SAO JOSE", "SANTA CLARA",
    "SANTA CATARINA", "ATLANTICO", "LITORAL", "SERRA AZUL", "VALE VERDE", "ESTRELA", "UNIAO",
    "PIONEIRA", "CENTRAL", "NOVA ERA", "IGUACU", "PARANA", "TROPICAL", "BANDEIRANTES",
    "CRUZEIRO", "IPIRANGA", "AURORA", "CATARINENSE", "GAUCHA", "PAULISTA", "IMPERIAL", "REAL",
    "SOL NASCENTE", "ARCO IRIS", "MONTE ALEGRE", "BELA VISTA", "RIO BRANCO", "PORTO BELO",
    "ILHA BELA", "TERRA NOVA", "MAR AZUL", "VITORIA", "TRIUNFO", "PARAISO", "CAMPO BELO",
)
# (razão social prefix, nome fantasia prefix, departments typical of the business)
SECTORS = (
    ("ESCRITORIO CONTABIL", "CONTABIL", ("CONTABILIDADE", "FISCAL", "DEPARTAMENTO PESSOAL")),
    ("SOCIEDADE DE ADVOGADOS", "ADVOCACIA", ("JURIDICO", "SECRETARIA", "ARQUIVO")),
    ("CLINICA MEDICA", "CLINICA", ("RECEPCAO", "CONSULTORIOS", "FATURAMENTO")),
    ("CLINICA ODONTOLOGICA", "ODONTO", ("RECEPCAO", "RADIOLOGIA")),
    ("LABORATORIO DE ANALISES CLINICAS", "LABORATORIO", ("COLETA", "RESULTADOS", "RECEPCAO")),
    ("HOSPITAL", "HOSPITAL", ("PRONTO ATENDIMENTO", "INTERNACAO", "FARMACIA", "FATURAMENTO")),
    ("SUPERMERCADO", "SUPERMERCADO", ("GERENCIA", "CAIXA", "COMPRAS", "ESTOQUE")),
    ("FARMACIA", "FARMACIA", ("BALCAO", "GERENCIA")),
    ("CONSTRUTORA", "CONSTRUTORA", ("ENGENHARIA", "OBRAS", "COMPRAS", "PROJETOS")),
    ("TRANSPORTES", "TRANSPORTES", ("EXPEDICAO", "LOGISTICA", "FATURAMENTO")),
    ("COLEGIO", "COLEGIO", ("SECRETARIA", "COORDENACAO", "SALA DOS PROFESSORES", "BIBLIOTECA")),
    ("ESCOLA DE IDIOMAS", "IDIOMAS", ("SECRETARIA", "COORDENACAO")),
    ("IMOBILIARIA", "IMOBILIARIA", ("VENDAS", "LOCACAO", "FINANCEIRO")),
    ("AUTO PECAS", "AUTO PECAS", ("BALCAO", "ESTOQUE", "FATURAMENTO")),
    ("METALURGICA", "METALURGICA", ("PRODUCAO", "PCP", "QUALIDADE", "EXPEDICAO")),
    ("INDUSTRIA TEXTIL", "TEXTIL", ("PRODUCAO", "CORTE", "EXPEDICAO", "COMPRAS")),
    ("DISTRIBUIDORA DE ALIMENTOS", "ALIMENTOS", ("EXPEDICAO", "COMPRAS", "FATURAMENTO", "VENDAS")),
    ("HOTEL", "HOTEL", ("RECEPCAO", "RESERVAS", "GOVERNANCA")),
    ("COOPERATIVA DE CREDITO", "COOPERATIVA", ("ATENDIMENTO", "CREDITO", "TESOURARIA")),
    ("CONCESSIONARIA DE VEICULOS", "VEICULOS", ("VENDAS", "OFICINA", "PECAS", "FINANCEIRO")),
    ("AGENCIA DE VIAGENS", "TURISMO", ("ATENDIMENTO", "FINANCEIRO")),
    ("ENGENHARIA", "ENGENHARIA", ("PROJETOS", "ORCAMENTOS")),
    ("MATERIAIS DE CONSTRUCAO", "MATERIAIS", ("BALCAO", "DEPOSITO", "FATURAMENTO")),
    ("CENTRO DE DIAGNOSTICO POR IMAGEM", "DIAGNOSTICO", ("LAUDOS", "RECEPCAO", "FATURAMENTO")),
)
COMMON_DEPARTMENTS = ("ADMINISTRATIVO", "FINANCEIRO", "RH", "DIRETORIA", "COMERCIAL", "TI")
LOCATIONS = (
    "SALA DE IMPRESSAO", "RECEPCAO TERREO", "2º ANDAR - SALA 204", "CORREDOR PRINCIPAL",
    "SALA DE REUNIAO", "ALMOXARIFADO", "1º ANDAR", "ATENDIMENTO", "SALA 12", "MEZANINO",
)
LEGAL_SUFFIXES = ("LTDA", "LTDA", "LTDA", "LTDA ME", "EIRELI", "S/A", "LTDA EPP")


@dataclass(frozen=True)
class ModelSpec:
    maker: str
    name: str
    color: bool
    supplies: tuple[str, ...]      # keys of SUPPLY_ITEMS
    weight: int                    # how common it is in the field
    serial: str                    # pattern: A = letter, 9 = digit, anything else literal


SUPPLY_ITEMS = {
    # key: (name, page yield)
    "TN3472": ("TONER BROTHER TN-3472 PRETO", 12000),
    "DR3440": ("CILINDRO BROTHER DR-3440", 50000),
    "TN2370": ("TONER BROTHER TN-2370 PRETO", 2600),
    "DR2340": ("CILINDRO BROTHER DR-2340", 12000),
    "CF258X": ("TONER HP 58X CF258X PRETO", 10000),
    "CF289X": ("TONER HP 89X CF289X PRETO", 10000),
    "W2020X": ("TONER HP 414X W2020X PRETO", 7500),
    "W2021X": ("TONER HP 414X W2021X CIANO", 6000),
    "W2022X": ("TONER HP 414X W2022X AMARELO", 6000),
    "W2023X": ("TONER HP 414X W2023X MAGENTA", 6000),
    "D204L": ("TONER SAMSUNG MLT-D204L PRETO", 5000),
    "D203U": ("TONER SAMSUNG MLT-D203U PRETO", 15000),
    "R204": ("CILINDRO SAMSUNG MLT-R204", 30000),
    "TK1175": ("TONER KYOCERA TK-1175 PRETO", 12000),
    "TK3162": ("TONER KYOCERA TK-3162 PRETO", 12500),
    "TK3182": ("TONER KYOCERA TK-3182 PRETO", 21000),
    "TK8345K": ("TONER KYOCERA TK-8345K PRETO", 20000),
    "TK8345C": ("TONER KYOCERA TK-8345C CIANO", 12000),
    "TK8345M": ("TONER KYOCERA TK-8345M MAGENTA", 12000),
    "TK8345Y": ("TONER KYOCERA TK-8345Y AMARELO", 12000),
    "DK1150": ("CILINDRO KYOCERA DK-1150", 100000),
    "IM430": ("TONER RICOH IM 430H PRETO", 25000),
    "MP2554": ("TONER RICOH MP 2554 PRETO", 11000),
    "SP5300": ("TONER RICOH SP 5300 PRETO", 25000),
    "IMC3000K": ("TONER RICOH IM C3000 PRETO", 33000),
    "IMC3000C": ("TONER RICOH IM C3000 CIANO", 18000),
    "IMC3000M": ("TONER RICOH IM C3000 MAGENTA", 18000),
    "IMC3000Y": ("TONER RICOH IM C3000 AMARELO", 18000),
    "CEXV59": ("TONER CANON C-EXV 59 PRETO", 30000),
    "DRCEXV59": ("CILINDRO CANON C-EXV 59", 169000),
    "CRG057H": ("TONER CANON 057H PRETO", 10000),
    "106R03585": ("TONER XEROX 106R03585 PRETO", 24600),
    "101R00554": ("CILINDRO XEROX 101R00554", 65000),
    "106R03532": ("TONER XEROX 106R03532 PRETO", 10500),
    "106R03534": ("TONER XEROX 106R03534 CIANO", 8000),
    "106R03535": ("TONER XEROX 106R03535 MAGENTA", 8000),
    "106R03533": ("TONER XEROX 106R03533 AMARELO", 8000),
    "56F4H00": ("TONER LEXMARK 56F4H00 PRETO", 15000),
    "56F0Z00": ("CILINDRO LEXMARK 56F0Z00", 60000),
    "58D4U00": ("TONER LEXMARK 58D4U00 PRETO", 55000),
}

MODELS = (
    ModelSpec("Brother", "BROTHER HL-L5102DW", False, ("TN3472", "DR3440"), 8, "U6A999999"),
    ModelSpec("Brother", "BROTHER DCP-L5652DN", False, ("TN3472", "DR3440"), 10, "U6A999999"),
    ModelSpec("Brother", "BROTHER MFC-L5902DW", False, ("TN3472", "DR3440"), 12, "U6A999999"),
    ModelSpec("Brother", "BROTHER MFC-L6902DW", False, ("TN3472", "DR3440"), 6, "U6A999999"),
    ModelSpec("Brother", "BROTHER DCP-L2540DW", False, ("TN2370", "DR2340"), 7, "U6A999999"),
    ModelSpec("HP", "HP LASERJET PRO M404DN", False, ("CF258X",), 9, "AAA9A99999"),
    ModelSpec("HP", "HP LASERJET PRO MFP M428FDW", False, ("CF258X",), 10, "AAA9A99999"),
    ModelSpec("HP", "HP LASERJET ENTERPRISE MFP M528F", False, ("CF289X",), 5, "AAA9A99999"),
    ModelSpec("HP", "HP COLOR LASERJET PRO M454DN", True,
              ("W2020X", "W2021X", "W2022X", "W2023X"), 3, "AAA9A99999"),
    ModelSpec("Samsung", "SAMSUNG SL-M4070FR", False, ("D204L", "R204"), 8, "Z9AAB9999999"),
    ModelSpec("Samsung", "SAMSUNG SL-M4020ND", False, ("D204L", "R204"), 5, "Z9AAB9999999"),
    ModelSpec("Samsung", "SAMSUNG SL-M3870FW", False, ("D203U", "R204"), 4, "Z9AAB9999999"),
    ModelSpec("Kyocera", "KYOCERA ECOSYS M2040DN", False, ("TK1175", "DK1150"), 9, "VAA9999999"),
    ModelSpec("Kyocera", "KYOCERA ECOSYS P3145DN", False, ("TK3162",), 4, "VAA9999999"),
    ModelSpec("Kyocera", "KYOCERA ECOSYS M3655IDN", False, ("TK3182",), 5, "VAA9999999"),
    ModelSpec("Kyocera", "KYOCERA TASKALFA 2553CI", True,
              ("TK8345K", "TK8345C", "TK8345M", "TK8345Y"), 3, "VAA9999999"),
    ModelSpec("Ricoh", "RICOH IM 430F", False, ("IM430",), 5, "3999R999999"),
    ModelSpec("Ricoh", "RICOH MP 2555SP", False, ("MP2554",), 4, "C999M999999"),
    ModelSpec("Ricoh", "RICOH SP 5300DN", False, ("SP5300",), 3, "3999R999999"),
    ModelSpec("Ricoh", "RICOH IM C3000", True,
              ("IMC3000K", "IMC3000C", "IMC3000M", "IMC3000Y"), 2, "3999R999999"),
    ModelSpec("Canon", "CANON IMAGERUNNER 2625I", False, ("CEXV59", "DRCEXV59"), 3, "AAA99999"),
    ModelSpec("Canon", "CANON I-SENSYS MF445DW", False, ("CRG057H",), 3, "AAA99999"),
    ModelSpec("Xerox", "XEROX VERSALINK B405", False, ("106R03585", "101R00554"), 4, "399999999"),
    ModelSpec("Xerox", "XEROX VERSALINK C405", True,
              ("106R03532", "106R03534", "106R03535", "106R03533"), 2, "399999999"),
    ModelSpec("Lexmark", "LEXMARK MX521DE", False, ("56F4H00", "56F0Z00"), 4, "70169999999AA"),
    ModelSpec("Lexmark", "LEXMARK MS621DN", False, ("56F4H00", "56F0Z00"), 3, "70169999999AA"),
    ModelSpec("Lexmark", "LEXMARK MX622ADHE", False, ("58D4U00", "56F0Z00"), 2, "70169999999AA"),
)

# Tabela de defeitos (§3.1): (ERP code, name, listed on the portal) per list.
DEFECTS = {
    "with_contract": (
        (2000, "INSTALACAO EQUIPAMENTO", True), (1002, "ATOLAMENTO PAPEL", True),
        (1003, "NÃO PUXA PAPEL", True), (1004, "IMPRESSAO CLARA / FALHADA", True),
        (1005, "IMPRESSAO MANCHADA", True), (1006, "RUIDO ANORMAL", True),
        (1007, "ERRO NO PAINEL", True), (1008, "NÃO LIGA", True),
        (1009, "NÃO DIGITALIZA", True), (1010, "NÃO IMPRIME PELA REDE", True),
        (1011, "PAPEL SAI AMASSADO", True), (1012, "TONER NÃO RECONHECIDO", True),
        (1013, "PREVENTIVA", False), (1014, "LEITURA DE CONTADOR", False),
        (1015, "TROCA DE PECA EM GARANTIA", False),
    ),
    "without_contract": (
        (3001, "ORCAMENTO DE CONSERTO", True), (3002, "INSTALACAO EQUIPAMENTO", True),
        (3003, "ATOLAMENTO PAPEL", True), (3004, "NÃO PUXA PAPEL", True),
        (3005, "ERRO NO PAINEL", True), (3006, "NÃO LIGA", True),
        (3007, "CONFIGURACAO DE REDE", True), (3008, "VISITA AVULSA", False),
    ),
    "contract": (
        (4001, "DESINSTALACAO EQUIPAMENTO", True), (4002, "REMANEJAMENTO DE EQUIPAMENTO", True),
        (4003, "TROCA DE EQUIPAMENTO", True), (4004, "TREINAMENTO DE USUARIO", True),
        (4005, "ADITIVO DE CONTRATO", False), (4006, "VISITA TECNICA PREVENTIVA", False),
        (4007, "RENOVACAO DE CONTRATO", False),
    ),
}

# What the client writes when opening a call, per defect (others get a generic text).
CALL_DESCRIPTIONS = {
    "ATOLAMENTO PAPEL": ("Papel enroscando na bandeja 2.",
                         "Atolamento constante na saída do papel.",
                         "Painel mostra atolamento de papel mesmo sem papel preso."),
    "NÃO PUXA PAPEL": ("A impressora não puxa papel da bandeja 1.",
                       "Puxa várias folhas juntas e trava.", "Não puxa papel pela bandeja manual."),
    "IMPRESSAO CLARA / FALHADA": ("Impressões saindo claras e com falhas verticais.",
                                  "Cópias com faixa branca no meio da folha."),
    "IMPRESSAO MANCHADA": ("Folhas saindo com manchas pretas na lateral.",
                           "Impressão com pontos repetidos a cada 9 cm."),
    "RUIDO ANORMAL": ("Barulho alto ao imprimir, parece engrenagem.",
                      "Ruído na unidade fusora ao ligar."),
    "ERRO NO PAINEL": ("Painel mostra código de erro e não imprime.",
                       "Mensagem 'Chamar assistência técnica' no visor."),
    "NÃO LIGA": ("Equipamento não liga, já testamos outra tomada.",
                 "Não liga após queda de energia."),
    "NÃO DIGITALIZA": ("Digitalização para e-mail parou de funcionar.",
                       "Scanner não envia para a pasta da rede."),
    "NÃO IMPRIME PELA REDE": ("Computadores do setor não encontram a impressora na rede.",
                              "Impressão pela rede fica na fila e não sai."),
    "INSTALACAO EQUIPAMENTO": ("Instalar o equipamento novo no setor.",
                               "Solicitamos instalação e configuração na rede."),
    "TONER NÃO RECONHECIDO": ("Toner novo não é reconhecido pelo equipamento.",),
    "PAPEL SAI AMASSADO": ("Papel sai amassado na saída do fusor.",),
}
GENERIC_DESCRIPTIONS = ("Equipamento apresentando problema, favor verificar.",
                        "Solicitamos visita técnica.", "Favor entrar em contato com o setor.")

STATUS_NOTES = {
    "E": ("Chamado despachado para o técnico.", "Técnico agendado para o período da tarde."),
    "M": ("Técnico iniciou o atendimento.", "Equipamento em manutenção no cliente."),
    "P": ("Aguardando liberação do cliente.", "Pendente: cliente solicitou retorno em outro dia."),
    "L": ("Peça solicitada à logística: unidade fusora.", "Aguardando envio do kit de manutenção."),
    "S": ("Aguardando peça em estoque: rolo de tração.", "Peça em falta no estoque central."),
    "O": ("Atendimento concluído. Equipamento testado e funcionando.",
          "Troca de peça realizada, cópias de teste aprovadas."),
    "T": ("Atendido remotamente por telefone.", "Cliente orientado; problema resolvido."),
    "C": ("Cancelado a pedido do cliente.", "Chamado aberto em duplicidade."),
}

SERVICES_DONE = (
    "Limpeza geral e troca do rolo de tração.", "Substituição da unidade fusora.",
    "Ajuste do sensor de papel e limpeza do scanner.", "Troca do cilindro e teste de impressão.",
    "Configuração de rede e digitalização para e-mail.", "Troca da placa de alimentação.",
    "Lubrificação das engrenagens e troca do separador.",
)
PARTS = (
    ("LY6754001", "ROLO DE TRACAO"), ("LU8566001", "UNIDADE FUSORA"), ("302F909171", "SEPARADOR"),
    ("JC93-00540A", "PICK UP ROLLER"), ("RM2-5425", "KIT DE MANUTENCAO"),
    ("D0BN4101", "PLACA DE ALIMENTACAO"), ("LY2093001", "SENSOR DE PAPEL"),
)
SUPPLY_NOTES = ("", "", "", "Toner acabando, favor enviar com urgência.", "Entregar na recepção.",
                "Enviar junto o cilindro.", "Solicitação mensal do contrato.")

PRE_SERVICE_DEALER = (
    "Prezado cliente, poderia nos enviar uma foto do painel com a mensagem de erro?",
    "Bom dia! Já tentou desligar o equipamento da tomada por 30 segundos e religar?",
    "Por favor, informe o contador atual do equipamento.",
    "Poderia confirmar o endereço e o horário para a visita do técnico?",
)
PRE_SERVICE_CLIENT = (
    "Segue a foto do painel. Aparece 'Atolamento na bandeja 2'.",
    "Já desligamos e o erro continua.",
    "Contador atual: 125.430 páginas.",
    "Pode vir amanhã pela manhã, procurar a recepção.",
)

CARRIERS = (
    ("TRANSPORTES RODOSUL LTDA", "rodosul.example"),
    ("EXPRESSO LITORAL TRANSPORTES LTDA", "expressolitoral.example"),
    ("ENTREGA RAPIDA LOGISTICA LTDA ME", "entregarapida.example"),
    ("TRANSPORTADORA SERRA DO MAR LTDA", "serradomar.example"),
    ("MOTOFRETE ILHA ENTREGAS EIRELI", "motofreteilha.example"),
    ("TRANSPORTES PLANALTO PAULISTA LTDA", "planaltopaulista.example"),
    ("LOGISTICA CAMPOS GERAIS LTDA", "camposgerais.example"),
    ("TRANSLAGES TRANSPORTES LTDA", "translages.example"),
)
DELIVERY_REFUSALS = ("Cliente ausente no horário de entrega.", "Endereço não localizado.",
                     "Recebedor recusou: pedido não reconhecido.")
SURVEY_COMMENTS = ("Técnico muito atencioso.", "Atendimento rápido, obrigado!",
                   "Demorou para chegar, mas resolveu.", "Problema voltou no dia seguinte.", "")
CONTACT_SUBJECTS = (
    ("contact", "Dúvida sobre o contrato",
     "Gostaria de saber a data de vencimento do nosso contrato."),
    ("contact", "Segunda via de boleto", "Por favor, enviem a segunda via do boleto deste mês."),
    ("opportunity", "Orçamento de multifuncional colorida",
     "Precisamos de uma multifuncional colorida para o setor comercial. Podem enviar proposta?"),
    ("opportunity", "Ampliação do contrato",
     "Vamos abrir uma nova filial e precisaremos de 3 equipamentos."),
)


def easter(year: int) -> date:
    """Easter Sunday (the Gregorian computus, "anonymous" algorithm)."""
    a, (b, c) = year % 19, divmod(year, 100)
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


def national_holidays(year: int) -> list[tuple[date, str]]:
    """Brazil's national holidays (Leis 662/1949, 6.802/1980 and 14.759/2023; Sexta-feira
    Santa by Lei 9.093/1995): the days the dealer closes everywhere."""
    return sorted([
        (date(year, 1, 1), "Confraternização Universal"),
        (easter(year) - timedelta(days=2), "Sexta-feira Santa"),
        (date(year, 4, 21), "Tiradentes"),
        (date(year, 5, 1), "Dia do Trabalho"),
        (date(year, 9, 7), "Independência do Brasil"),
        (date(year, 10, 12), "Nossa Senhora Aparecida"),
        (date(year, 11, 2), "Finados"),
        (date(year, 11, 15), "Proclamação da República"),
        (date(year, 11, 20), "Dia Nacional de Zumbi e da Consciência Negra"),
        (date(year, 12, 25), "Natal"),
    ])


# The LGPD documents every user confirms on his first login (manual §2.3): kind, title, text.
LGPD_DOCUMENTS = (
    ("terms", "Termos e condições gerais de uso",
     "Estes termos regem o uso do Portal Web de Serviços (PWS) da revenda pelos seus clientes, "
     "técnicos, transportadores e colaboradores.\n\n"
     "1. O acesso é pessoal: cada usuário tem o seu e-mail e a sua senha, que não devem ser "
     "compartilhados.\n"
     "2. O portal serve para abrir e acompanhar chamados técnicos, solicitar suprimentos, "
     "confirmar entregas e consultar arquivos de faturamento dos contratos do cliente.\n"
     "3. As informações registradas (chamados, mensagens, anexos, assinaturas) fazem parte do "
     "histórico do atendimento e são guardadas pelo prazo do contrato.\n"
     "4. A revenda pode alterar estes termos; uma nova versão é apresentada para confirmação no "
     "próximo acesso."),
    ("privacy", "Política de privacidade",
     "O PWS trata somente os dados necessários à prestação dos serviços contratados: nome, "
     "e-mail e telefone dos usuários e contatos, dados de identificação da empresa cliente, dos "
     "contratos e dos equipamentos, e o histórico dos atendimentos.\n\n"
     "Não tratamos dados sensíveis nem meios de pagamento. A posição do aparelho do técnico e do "
     "transportador é registrada somente durante o atendimento ou a entrega e apagada após o "
     "prazo de retenção configurado.\n\n"
     "Você pode, a qualquer momento, baixar uma cópia dos seus dados ou pedir a sua exclusão em "
     "\"Meus dados (LGPD)\"."),
    ("consent", "Termo de consentimento",
     "Declaro que li a Política de privacidade e os Termos e condições gerais de uso do PWS e "
     "autorizo o tratamento dos meus dados pessoais para as finalidades neles descritas: "
     "atendimento técnico, fornecimento de suprimentos, entregas, faturamento e comunicação "
     "sobre esses serviços por e-mail.\n\n"
     "Enquanto este termo não for confirmado, o aviso continua no topo das páginas do portal."),
)
