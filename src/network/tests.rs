use super::*;

fn traub() -> Arc<Model> {
    Arc::new(Model::bundled("traub").unwrap())
}

fn group(name: &str, size: usize) -> Group {
    Group {
        name: name.into(),
        size,
        params: traub().default_parameters(),
        init: Vec::new(),
        refractory_ms: 0.0,
        current: 0.0,
    }
}

fn two_groups(conn: Connectivity, n: usize, seed: u64) -> Network {
    let mut b = NetworkBuilder::new(traub(), seed);
    let a = b.group(group("A", n));
    let c = b.group(group("B", n / 2));
    b.connect(Projection {
        pre: a,
        post: a,
        connectivity: conn,
        weight: Weight::Constant(1.0),
        synapse: "ge".into(),
    });
    b.connect(Projection {
        pre: a,
        post: c,
        connectivity: conn,
        weight: Weight::Uniform {
            low: 1.0,
            high: 2.0,
        },
        synapse: "gi".into(),
    });
    b.build().unwrap()
}

#[test]
fn fixed_probability_edge_counts_are_binomial() {
    let (n, p) = (2000, 0.05);
    let net = two_groups(Connectivity::FixedProb { p, autapses: false }, n, 3);
    // A→A without autapses: n(n−1) candidate pairs; A→B: n·n/2.
    let pairs = (n * (n - 1) + n * n / 2) as f64;
    let (mean, sd) = (pairs * p, (pairs * p * (1.0 - p)).sqrt());
    let got = net.n_synapses() as f64;
    // 5σ: a correct sampler fails this once in 1.7 million runs.
    assert!(
        (got - mean).abs() < 5.0 * sd,
        "{got} edges, expected {mean} ± {sd}"
    );
}

#[test]
fn no_autapses_when_disallowed() {
    for conn in [
        Connectivity::FixedProb {
            p: 0.5,
            autapses: false,
        },
        Connectivity::FixedInDegree {
            k: 50,
            autapses: false,
        },
    ] {
        let net = two_groups(conn, 200, 5);
        for pre in 0..200 {
            let row = net.csr.row_start[pre] as usize..net.csr.row_start[pre + 1] as usize;
            // Excitatory targets inside group A are < n; a self-synapse would be target == pre.
            assert!(
                net.csr.target[row].iter().all(|&t| t as usize != pre),
                "{conn:?}: autapse at {pre}"
            );
        }
    }
}

#[test]
fn fixed_in_degree_is_exact_and_distinct() {
    let k = 37;
    let net = two_groups(Connectivity::FixedInDegree { k, autapses: false }, 300, 9);
    let n = net.n_neurons();
    let mut inputs = vec![Vec::new(); 2 * n];
    for pre in 0..n {
        for s in net.csr.row_start[pre]..net.csr.row_start[pre + 1] {
            inputs[net.csr.target[s as usize] as usize].push(pre);
        }
    }
    // Group A's neurons receive excitatory inputs (targets 0..300), group B's inhibitory ones.
    for (t, list) in inputs.iter().enumerate() {
        let expected = if t < 300 || (n + 300..2 * n).contains(&t) {
            k
        } else {
            0
        };
        assert_eq!(list.len(), expected, "accumulator {t}");
        let mut sorted = list.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), list.len(), "repeated input at {t}");
    }
}

#[test]
fn same_seed_same_network_and_p_zero_and_one_are_valid() {
    let conn = Connectivity::FixedProb {
        p: 0.1,
        autapses: true,
    };
    assert_eq!(two_groups(conn, 400, 1).csr, two_groups(conn, 400, 1).csr);
    assert_ne!(two_groups(conn, 400, 1).csr, two_groups(conn, 400, 2).csr);
    assert_eq!(
        two_groups(
            Connectivity::FixedProb {
                p: 0.0,
                autapses: true
            },
            100,
            1
        )
        .n_synapses(),
        0
    );
    let full = two_groups(
        Connectivity::FixedProb {
            p: 1.0,
            autapses: true,
        },
        100,
        1,
    );
    assert_eq!(full.n_synapses(), 100 * 100 + 100 * 50);
}

#[test]
fn weights_are_exact_multiples_of_the_quantum() {
    let net = two_groups(
        Connectivity::FixedProb {
            p: 0.1,
            autapses: true,
        },
        400,
        1,
    );
    // Constant weight 1 nS is a power of two times the quantum, so it is represented exactly.
    let q = net.weight_quantum_ns;
    assert_eq!(net.csr.weight_q[0] as f64 * q, 1.0);
    assert!(
        q <= 2f64.powi(-14),
        "quantum {q} nS is coarser than expected"
    );
}

#[test]
fn bad_network_descriptions_are_refused() {
    let build = |size: usize, conn: Connectivity, w: f64, tau: f64| {
        let mut model = Model::bundled("traub").unwrap();
        model.synapses[0].tau_ms = tau;
        let mut b = NetworkBuilder::new(Arc::new(model), 0);
        let a = b.group(group("A", size));
        b.connect(Projection {
            pre: a,
            post: a,
            connectivity: conn,
            weight: Weight::Constant(w),
            synapse: "ge".into(),
        });
        b.build()
    };
    let ok = Connectivity::FixedProb {
        p: 0.1,
        autapses: true,
    };
    assert!(
        build(
            10,
            Connectivity::FixedProb {
                p: 1.5,
                autapses: true
            },
            1.0,
            5.0
        )
        .is_err()
    );
    assert!(
        build(
            10,
            Connectivity::FixedProb {
                p: f64::NAN,
                autapses: true
            },
            1.0,
            5.0
        )
        .is_err()
    );
    assert!(build(0, ok, 1.0, 5.0).is_err());
    assert!(
        build(
            10,
            Connectivity::FixedInDegree {
                k: 10,
                autapses: false
            },
            1.0,
            5.0
        )
        .is_err()
    );
    assert!(build(10, ok, -1.0, 5.0).is_err());
    assert!(build(10, ok, 1.0, -5.0).is_err());
    assert!(
        build(
            10_000_000,
            Connectivity::FixedProb {
                p: 0.5,
                autapses: true
            },
            1.0,
            5.0
        )
        .is_err()
    );
}

#[test]
fn a_projection_onto_a_synapse_the_model_lacks_is_refused_by_name() {
    let mut b = NetworkBuilder::new(traub(), 0);
    let a = b.group(group("A", 10));
    b.connect(Projection {
        pre: a,
        post: a,
        connectivity: Connectivity::FixedProb {
            p: 0.1,
            autapses: true,
        },
        weight: Weight::Constant(1.0),
        synapse: "gampa".into(),
    });
    let message = b.build().unwrap_err().to_string();
    assert!(
        message.contains("gampa") && message.contains("ge, gi"),
        "{message}"
    );
    let mut b = NetworkBuilder::new(traub(), 0);
    b.group(Group {
        init: vec![("w".into(), InitValue::Fixed(0.0))],
        ..group("A", 10)
    });
    let message = b.build().unwrap_err().to_string();
    assert!(message.contains("v, m, h, n, ge, gi"), "{message}");
}

#[test]
fn unnamed_variables_start_at_the_models_initial_state_and_named_ones_as_given() {
    let mut b = NetworkBuilder::new(traub(), 3);
    b.group(Group {
        init: vec![
            ("gi".into(), InitValue::Fixed(7.0)),
            (
                "v".into(),
                InitValue::Normal(NormalInit {
                    mean: -65.0,
                    sd: 5.0,
                }),
            ),
        ],
        ..group("A", 100)
    });
    let net = b.build().unwrap();
    let rows: Vec<&[f64]> = net.init.chunks(6).collect();
    // traub.toml: v = −60 and every gate 0 initially; synapses start at 0 unless named.
    assert!(
        rows.iter()
            .all(|r| r[1..5] == [0.0, 0.0, 0.0, 0.0] && r[5] == 7.0)
    );
    let mean_v = rows.iter().map(|r| r[0]).sum::<f64>() / 100.0;
    // The mean of 100 draws of sd 5 lies within 4 standard errors (0.5 mV each) of −65.
    assert!((mean_v + 65.0).abs() < 2.0, "mean v {mean_v}");
}
