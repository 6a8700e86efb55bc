//! Synapse kinds in the model file: compartment and receptor of `burst2c` targets,
//! event- or burst-only transmission, plastic projections (`plasticity = {...}`) and
//! short-term plasticity (`stp = {...}`).

use super::Model;
use super::build::PopInfo;
use super::spec::{
    DetectorMode, MinRateOf, ModelKind, PlasticitySpec, ProjectionSpec, StdpModeSpec, StimulusSpec,
    Value,
};
use crate::engine::SynapseColumns;
use crate::engine::plastic::{PlasticProjection, Rule, SynapseType};
use crate::error::Result;
use crate::ids::PopId;
use crate::neuron::burst2c::{self, Compartment, Receptor};
use crate::plasticity::{
    Bdsp, BdspParams, BurstDetector, BurstMode, ClassifierParams, MinRate, MinRateSource, Stdp,
    StdpMode, StdpParams, Tm, TmParams,
};

/// The network's burst detector (`simulation.burst_detection`).
pub fn detector(model: &Model) -> Result<BurstDetector> {
    let Some(d) = model.spec.simulation.burst_detection else {
        return Ok(BurstDetector::default());
    };
    let mode = match d.mode {
        DetectorMode::Trace => BurstMode::Trace,
        DetectorMode::Isi => BurstMode::Isi,
    };
    BurstDetector::new(mode, d.theta_b.0)
        .map_err(|e| model.error_at(0..0, format!("simulation.burst_detection: {e}")))
}

/// The input port and synapse type of projection `proj` onto `tgt` (population index `t`,
/// model `kind`); registers a new type, and a plastic projection, as needed.
#[allow(clippy::too_many_arguments)]
pub fn synapse_kind(
    model: &Model,
    proj: &ProjectionSpec,
    src: &PopInfo,
    tgt: &PopInfo,
    t: usize,
    kind: ModelKind,
    types: &mut Vec<SynapseType>,
    plastic: &mut Vec<PlasticProjection>,
    stp: &mut Vec<TmParams>,
) -> Result<(u8, u16)> {
    let port = port_of(
        model,
        proj.compartment.as_ref(),
        proj.receptor.as_ref(),
        tgt,
        kind,
    )?;
    let transmit = proj.transmit.unwrap_or_default();
    let stp_k = match &proj.stp {
        Some(spec) => {
            let x = spec.get_ref();
            let params = TmParams {
                u: x.u.0,
                tau_d_ms: x.tau_d.0,
                tau_f_ms: x.tau_f.0,
                f: x.f.0,
            };
            Tm::new(&params).map_err(|e| model.error_at(spec.span(), format!("stp: {e}")))?;
            if !matches!(
                proj.delay.as_ref().map(|d| d.get_ref()),
                Some(Value::Scalar(_))
            ) {
                return Err(model.error_at(
                    spec.span(),
                    "a projection with stp needs one `delay` (a number): its state is per \
                     source neuron",
                ));
            }
            stp.push(params);
            Some(
                u16::try_from(stp.len() - 1)
                    .map_err(|_| model.error_at(spec.span(), "more than 65535 stp projections"))?,
            )
        }
        None => None,
    };
    let ty = match &proj.plasticity {
        Some(spec) => {
            let name = proj
                .name
                .as_ref()
                .map(|n| n.get_ref().clone())
                .unwrap_or_else(|| format!("{}->{}", src.name, tgt.name));
            if name.contains('/') || name.is_empty() || name == "." {
                return Err(model.error_at(
                    proj.name.as_ref().map_or(spec.span(), |n| n.span()),
                    format!("projection name `{name}` is a group name in the output: no `/`"),
                ));
            }
            if plastic.iter().any(|p: &PlasticProjection| p.name == name) {
                return Err(model.error_at(
                    proj.name.as_ref().map_or(spec.span(), |n| n.span()),
                    format!("two plastic projections are called `{name}`; give one a `name`"),
                ));
            }
            if !matches!(
                proj.delay.as_ref().map(|d| d.get_ref()),
                Some(Value::Scalar(_))
            ) {
                return Err(model.error_at(
                    spec.span(),
                    format!(
                        "plastic projection `{name}` needs one `delay` (a number): its \
                         presynaptic trace is per source neuron"
                    ),
                ));
            }
            let (rule, on) = match spec.get_ref() {
                PlasticitySpec::Bdsp(b) => {
                    let params = BdspParams {
                        eta: b.eta.0,
                        tau_pre_ms: b.tau_pre.0,
                        w_min: b.w_min.0 as f32,
                        w_max: b.w_max.0 as f32,
                        post: ClassifierParams::new(BurstMode::Trace, b.tau_avg.0),
                        e_max_hz: b.e_max.map(|x| x.0),
                        min_rate: b.e_min.map(|x| MinRate {
                            e_min_hz: x.0,
                            source: match b.min_rate_of {
                                MinRateOf::AllSpikes30s => MinRateSource::AllSpikes30s,
                                MinRateOf::EventAverage => MinRateSource::EventAverage,
                            },
                        }),
                        fixed_p_bar: b.fixed_p_bar.map(|x| x.0),
                    };
                    Bdsp::new(1, 1, &params).map_err(|e| {
                        model.error_at(spec.span(), format!("plasticity of `{name}`: {e}"))
                    })?;
                    (Rule::Bdsp(params), b.on)
                }
                PlasticitySpec::Stdp(d) => {
                    let params = StdpParams {
                        lambda: d.lambda.0,
                        alpha: d.alpha.0,
                        tau_plus_ms: d.tau_plus.0,
                        tau_minus_ms: d.tau_minus.0,
                        w_min: d.w_min.0 as f32,
                        w_max: d.w_max.0 as f32,
                        mode: match d.mode {
                            StdpModeSpec::Additive => StdpMode::Additive,
                            StdpModeSpec::Multiplicative => StdpMode::Multiplicative,
                        },
                    };
                    Stdp::new(1, 1, &params).map_err(|e| {
                        model.error_at(spec.span(), format!("plasticity of `{name}`: {e}"))
                    })?;
                    (Rule::Stdp(params), d.on)
                }
            };
            let q = u16::try_from(plastic.len())
                .map_err(|_| model.error_at(spec.span(), "more than 65535 plastic projections"))?;
            plastic.push(PlasticProjection {
                name,
                rule,
                source_offset: src.offset,
                source_size: src.size,
                target: PopId(t as u16),
                plastic: on,
            });
            SynapseType {
                transmit,
                plastic: Some(q),
                stp: stp_k,
            }
        }
        None => SynapseType {
            transmit,
            plastic: None,
            stp: stp_k,
        },
    };
    let k = match types.iter().position(|x| *x == ty) {
        Some(k) => k,
        None => {
            types.push(ty);
            types.len() - 1
        }
    };
    let k = u16::try_from(k)
        .map_err(|_| model.error_at(proj.rule.span(), "more than 65535 synapse types"))?;
    Ok((port, k))
}

/// The port of input onto compartment `c` through receptor `r` of a `kind` population
/// (only `burst2c` has ports other than 0).
fn port_of(
    model: &Model,
    c: Option<&toml::Spanned<Compartment>>,
    r: Option<&toml::Spanned<Receptor>>,
    tgt: &PopInfo,
    kind: ModelKind,
) -> Result<u8> {
    if kind == ModelKind::Burst2c {
        return Ok(burst2c::port(
            c.map(|x| *x.get_ref()).unwrap_or_default(),
            r.map(|x| *x.get_ref()).unwrap_or_default(),
        ));
    }
    if kind == ModelKind::Adex {
        if let Some(c) = c.filter(|c| *c.get_ref() != Compartment::Soma) {
            return Err(model.error_at(
                c.span(),
                format!(
                    "`{}` is adex, a single compartment; drop `compartment`",
                    tgt.name
                ),
            ));
        }
        return Ok(crate::neuron::adex_grid::port(
            r.map(|x| *x.get_ref()).unwrap_or_default(),
        ));
    }
    if let Some(span) = c.map(|x| x.span()).or_else(|| r.map(|x| x.span())) {
        return Err(model.error_at(
            span,
            format!(
                "`compartment` and `receptor` apply to burst2c and adex targets; `{}` is {} \
                 (its weight's sign picks the receptor)",
                tgt.name, tgt.model
            ),
        ));
    }
    Ok(0)
}

/// The port of a Poisson stimulus onto `tgt`.
pub fn stimulus_port(
    model: &Model,
    st: &StimulusSpec,
    tgt: &PopInfo,
    kind: ModelKind,
) -> Result<u8> {
    port_of(
        model,
        st.compartment.as_ref(),
        st.receptor.as_ref(),
        tgt,
        kind,
    )
}

/// The compartment (port) of a step current onto `tgt`: 0 soma, 1 dendrite.
pub fn current_port(
    model: &Model,
    st: &StimulusSpec,
    tgt: &PopInfo,
    kind: ModelKind,
) -> Result<u8> {
    if let Some(r) = &st.receptor {
        return Err(model.error_at(r.span(), "a step current has no receptor; drop `receptor`"));
    }
    Ok(port_of(model, st.compartment.as_ref(), None, tgt, kind)? / 2)
}

/// Checks the synapses `first..` that projection `proj` added onto `tgt`: conductance
/// weights are ≥ 0; a plastic projection starts within its bounds and has one delay.
pub fn check_added(
    model: &Model,
    proj: &ProjectionSpec,
    tgt: &PopInfo,
    kind: ModelKind,
    syn: &SynapseColumns,
    first: usize,
) -> Result<()> {
    let span = proj.weight.as_ref().map_or(proj.rule.span(), |w| w.span());
    let w = &syn.weight[first..];
    if matches!(kind, ModelKind::Burst2c | ModelKind::Adex)
        && let Some(bad) = w.iter().find(|&&x| x < 0.0)
    {
        return Err(model.error_at(
            span,
            format!(
                "weight {bad} onto {} population `{}`: weights are conductances in units \
                 of the leak conductance, ≥ 0; use receptor = \"inhibitory\" for inhibition",
                tgt.model, tgt.name
            ),
        ));
    }
    if let Some(spec) = &proj.plasticity {
        let (lo, hi) = match spec.get_ref() {
            PlasticitySpec::Bdsp(b) => (b.w_min.0 as f32, b.w_max.0 as f32),
            PlasticitySpec::Stdp(d) => (d.w_min.0 as f32, d.w_max.0 as f32),
        };
        if let Some(bad) = w.iter().find(|&&x| x < lo || x > hi) {
            return Err(model.error_at(
                span,
                format!("initial weight {bad} is outside the plastic bounds [{lo}, {hi}]"),
            ));
        }
    }
    let d = &syn.delay[first..];
    if let Some(span) = proj
        .plasticity
        .as_ref()
        .map(|p| p.span())
        .or_else(|| proj.stp.as_ref().map(|s| s.span()))
        && d.iter().any(|&x| x != d[0])
    {
        return Err(model.error_at(
            span,
            "a plastic or stp projection needs one delay (its state is per source neuron)",
        ));
    }
    Ok(())
}
