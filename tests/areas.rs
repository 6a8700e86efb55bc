//! Circuit templates and areas (`model::areas`): expansion, overrides, inter-area projections,
//! addressing by area, and the errors of malformed area files.

mod common;

use hebb::model::Model;
use hebb::model::build::build;
use std::path::Path;

const TEMPLATE: &str = r#"
[simulation]
duration = 200.0
seed = 3

[[template]]
name = "ei"
population = [
  { name = "E", size = 80, model = "lif_delta", E_L = -49.0, V_th = -50.0, V_reset = -60.0, tau_m = 20.0, t_ref = 2.0 },
  { name = "I", size = 20, model = "lif_delta", E_L = -49.0, V_th = -50.0, V_reset = -60.0, tau_m = 20.0, t_ref = 2.0 },
]
projection = [
  { source = "E", target = "I", rule = { fixed_indegree = { indegree = 10 } }, weight = 0.5, delay = 1.0 },
  { source = "I", target = "E", rule = { fixed_indegree = { indegree = 5 } }, weight = -1.0, delay = 1.0 },
]
"#;

fn with_areas(areas: &str) -> String {
    format!("{TEMPLATE}\n{areas}")
}

fn parse(text: &str) -> Result<Model, String> {
    Model::parse(text, Path::new("areas.toml")).map_err(|e| e.to_string())
}

#[test]
fn areas_are_copies_with_prefixed_names_overrides_and_inter_area_projections() {
    let m = parse(&with_areas(
        r#"
[[area]]
name = "A1"
template = "ei"
level = 1
[area.population.I]
size = 30
[area.projection."E->I"]
rule = { fixed_indegree = { indegree = 4 } }
[[area.add_population]]
name = "S"
size = 10
model = "lif_delta"
tau_m = 10.0
E_L = -65.0
V_th = -50.0
V_reset = -65.0
t_ref = 2.0
[[area.add_projection]]
source = "E"
target = "S"
rule = { fixed_indegree = { indegree = 3 } }
weight = 0.2
delay = 1.0

[[area]]
name = "A2"
template = "ei"
level = 2
[area.projection."I->E"]
remove = true

[[projection]]
source = "A1.E"
target = "A2.E"
rule = { fixed_indegree = { indegree = 7 } }
weight = 0.3
delay = 2.0
"#,
    ))
    .unwrap();
    let names: Vec<&str> = m
        .spec
        .populations
        .iter()
        .map(|p| p.name.as_ref().as_str())
        .collect();
    assert_eq!(names, ["A1.E", "A1.I", "A1.S", "A2.E", "A2.I"]);
    assert_eq!(m.spec.areas.len(), 2);
    assert_eq!(m.spec.areas[1].level, Some(2));
    assert_eq!(m.spec.areas[0].populations, ["A1.E", "A1.I", "A1.S"]);
    let pairs: Vec<(String, String)> = m
        .spec
        .projections
        .iter()
        .map(|p| (p.source.as_ref().clone(), p.target.as_ref().clone()))
        .collect();
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        pairs,
        [
            pair("A1.E", "A1.I"),
            pair("A1.I", "A1.E"),
            pair("A1.E", "A1.S"),
            pair("A2.E", "A2.I"),
            pair("A1.E", "A2.E"),
        ]
    );
    // The built network: sizes and in-degrees as overridden.
    let net = build(&m, None, None).unwrap();
    let size = |n: &str| net.populations.iter().find(|p| p.name == n).unwrap().size;
    assert_eq!(size("A1.I"), 30);
    assert_eq!(size("A2.I"), 20);
    let csr = &net.blueprint.csr;
    let into = |pop: &str| {
        let p = net.populations.iter().find(|p| p.name == pop).unwrap();
        (0..csr.group_pop.len())
            .filter(|&g| net.populations[csr.group_pop[g].index()].name == p.name)
            .map(|g| csr.group(g).0.len())
            .sum::<usize>()
    };
    assert_eq!(into("A1.I"), 30 * 4);
    assert_eq!(into("A2.I"), 20 * 10);
    assert_eq!(into("A1.S"), 10 * 3);
    // A2.E: its I->E projection removed, 7 inputs from A1.E each.
    assert_eq!(into("A2.E"), 80 * 7);
    assert_eq!(into("A1.E"), 80 * 5);
}

#[test]
fn an_area_of_the_microcircuit_is_the_microcircuit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = [
        "scaling.N=0.02".to_owned(),
        "simulation.duration=200".to_owned(),
    ];
    let plain = Model::load_with(&root.join("models/potjans_diesmann.toml"), &set).unwrap();
    let text = r#"
[simulation]
duration = 1000.0
warmup = 500.0
seed = 55
resolution = 0.1
[[template]]
name = "pd"
file = "models/potjans_diesmann.toml"
[[area]]
name = "V1"
template = "pd"
"#;
    let area = Model::parse_with(text, &root.join("one_area.toml"), &set).unwrap();
    let a = common::simulate(&plain, None, None);
    let b = common::simulate(&area, None, None);
    assert!(a.spikes.len() > 500, "{} spikes", a.spikes.len());
    assert_eq!(
        a.spikes, b.spikes,
        "same network, same streams, same spikes"
    );
    let rates = &area.spec.scaling.as_ref().unwrap().as_ref().reference_rates;
    assert_eq!(rates["V1.L4E"].0, 4.414);
}

#[test]
fn overrides_address_populations_by_area() {
    let text = with_areas("[[area]]\nname = \"A1\"\ntemplate = \"ei\"\n");
    let m = Model::parse_with(
        &text,
        Path::new("areas.toml"),
        &["population.A1.I.size=7".to_owned()],
    )
    .unwrap();
    let i = m
        .spec
        .populations
        .iter()
        .find(|p| p.name.as_ref() == "A1.I")
        .unwrap();
    assert_eq!(i.size.as_ref().map(|s| *s.as_ref()), Some(7));
    let err = Model::parse_with(
        &text,
        Path::new("areas.toml"),
        &["population.A9.I.size=7".to_owned()],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no element `A9`"), "{err}");
}

#[test]
fn malformed_areas_are_refused_with_the_area_and_key_named() {
    let cases = [
        (
            "[[area]]\nname = \"A1\"\ntemplate = \"xx\"\n",
            "no [[template]] named `xx`",
        ),
        (
            "[[area]]\nname = \"A1\"\ntemplate = \"ei\"\n[area.population.Q]\nsize = 3\n",
            "`population.Q` overrides no population",
        ),
        (
            "[[area]]\nname = \"A1\"\ntemplate = \"ei\"\n[area.projection.\"I->I\"]\nweight = 1.0\n",
            "`projection.\"I->I\"` overrides no projection",
        ),
        (
            "[[area]]\nname = \"A1\"\ntemplate = \"ei\"\n[[area]]\nname = \"A1\"\ntemplate = \"ei\"\n",
            "area `A1` is defined twice",
        ),
        (
            "[[area]]\nname = \"A.1\"\ntemplate = \"ei\"\n",
            "without `.`",
        ),
        (
            "[[area]]\nname = \"A1\"\ntemplate = \"ei\"\nsize = 3\n",
            "unknown key `size`",
        ),
        (
            "[[area]]\nname = \"A1\"\ntemplate = \"ei\"\n[[area.add_projection]]\nsource = \"E\"\ntarget = \"B2.E\"\nrule = \"all_to_all\"\n",
            "target `B2.E` is not a population of this circuit",
        ),
        (
            "[[area]]\nname = \"A1\"\ntemplate = \"ei\"\n[[projection]]\nsource = \"A1.E\"\ntarget = \"A2.E\"\nrule = \"all_to_all\"\nweight = 1.0\ndelay = 1.0\n",
            "A2.E",
        ),
        (
            "[[area]]\nname = \"A1\"\ntemplate = \"ei\"\n[area.population.E]\ntau_m = -1.0\n",
            "(in the model with its areas expanded (`hebb inspect MODEL --expanded`))",
        ),
    ];
    for (areas, expect) in cases {
        let err = parse(&with_areas(areas))
            .map(|m| build(&m, None, None).map(|_| ()).map_err(|e| e.to_string()));
        let msg = match err {
            Err(e) | Ok(Err(e)) => e,
            Ok(Ok(())) => panic!("accepted: {areas}"),
        };
        assert!(msg.contains(expect), "{areas}\n→ {msg}");
        assert!(msg.starts_with("areas.toml"), "the file is named: {msg}");
    }
    // Keys of a template that the expansion would drop without a word.
    let area = "[[area]]\nname = \"A1\"\ntemplate = \"ei\"\n";
    for (key, expect) in [
        (
            "reference_rates = { E = 5.0 }",
            "template `ei`: unknown key `reference_rates` (a template without `base` takes the keys of a model file: population, projection, stimulus, set, silence, scaling, simulation, record); a circuit's reference rates go in its [scaling]",
        ),
        ("stimuli = []", "template `ei`: unknown key `stimuli`"),
        (
            "scaling = { n = 0.5 }",
            "template `ei`: unknown key `scaling.n` (expected N, K, reference_rates, unscaled)",
        ),
    ] {
        let text = TEMPLATE.replace("name = \"ei\"\n", &format!("name = \"ei\"\n{key}\n"));
        let err = parse(&format!("{text}\n{area}")).unwrap_err();
        assert!(err.contains(expect), "{key}\n→ {err}");
        assert!(err.starts_with("areas.toml"), "the file is named: {err}");
    }
    let no_template = "[simulation]\nduration = 10.0\n[[area]]\nname = \"A1\"\ntemplate = \"ei\"\n";
    let err = parse(no_template).unwrap_err();
    assert!(err.contains("there is none"), "{err}");
    let missing = "[simulation]\nduration = 10.0\n[[template]]\nname = \"t\"\nfile = \"no/such.toml\"\n[[area]]\nname = \"A\"\ntemplate = \"t\"\n";
    let err = parse(missing).unwrap_err();
    assert!(err.contains("template `t`: reading no/such.toml"), "{err}");
}
