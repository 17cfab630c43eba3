//! `HOTSPOTS`: dense regions among the latest rows' numeric columns.
//!
//! `TABLE(HOTSPOTS(CURSOR(SELECT STREAM … FROM s), windowSize, scanRadius,
//! minimumNumberOfPointsInAHotspot))` gives the cursor's columns and `HOTSPOTS_RESULT`, a JSON
//! document `{"hotspots": [{"density": d, "minValues": [...], "maxValues": [...]}]}` describing
//! the hotspots among the last `windowSize` rows (the current one included), densest first.
//!
//! A hotspot, as Sluice finds it: a connected group of points, joined by points that have at
//! least `minimumNumberOfPointsInAHotspot` points (themselves included) within `scanRadius`
//! (Euclidean), with the points within `scanRadius` of those. Its `minValues` and `maxValues`
//! bound its points per column; its `density` is how many times denser it is than the window as
//! a whole: its share of the window's points over its share of the window's volume, each box
//! side widened by `scanRadius` so that no volume is zero.

use std::collections::{HashMap, VecDeque};

#[derive(Debug, Clone)]
pub(super) struct Hotspots {
    window: usize,
    radius: f64,
    min_points: usize,
    points: VecDeque<Vec<f64>>,
}

impl Hotspots {
    pub(super) fn new(window: usize, radius: f64, min_points: usize) -> Self {
        Self {
            window,
            radius,
            min_points,
            points: VecDeque::with_capacity(window),
        }
    }

    /// Adds the point and answers the window's hotspots as JSON.
    pub(super) fn add(&mut self, point: &[f64]) -> String {
        if self.points.len() == self.window {
            self.points.pop_front();
        }
        self.points.push_back(point.to_vec());
        let clusters = self.clusters();
        let dims = point.len();
        let n = self.points.len() as f64;
        let bounds = |idx: &mut dyn Iterator<Item = &Vec<f64>>| {
            let mut lo = vec![f64::INFINITY; dims];
            let mut hi = vec![f64::NEG_INFINITY; dims];
            for p in idx {
                for d in 0..dims {
                    lo[d] = lo[d].min(p[d]);
                    hi[d] = hi[d].max(p[d]);
                }
            }
            (lo, hi)
        };
        let volume = |lo: &[f64], hi: &[f64]| -> f64 {
            lo.iter()
                .zip(hi)
                .map(|(l, h)| (h - l) + self.radius)
                .product::<f64>()
                .max(f64::MIN_POSITIVE)
        };
        let (wlo, whi) = bounds(&mut self.points.iter());
        let wvol = volume(&wlo, &whi);
        let mut spots: Vec<(f64, Vec<f64>, Vec<f64>)> = clusters
            .iter()
            .map(|members| {
                let (lo, hi) = bounds(&mut members.iter().map(|&i| &self.points[i]));
                let share = members.len() as f64 / n;
                let density = share / (volume(&lo, &hi) / wvol);
                (density, lo, hi)
            })
            .collect();
        spots.sort_by(|a, b| b.0.total_cmp(&a.0));
        let round = |x: f64| (x * 1e6).round() / 1e6;
        let hotspots: Vec<serde_json::Value> = spots
            .into_iter()
            .map(|(density, lo, hi)| {
                serde_json::json!({
                    "density": round(density),
                    "minValues": lo.into_iter().map(round).collect::<Vec<_>>(),
                    "maxValues": hi.into_iter().map(round).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::json!({ "hotspots": hotspots }).to_string()
    }

    /// DBSCAN over the window, points bucketed in a grid of `radius`-wide cells.
    fn clusters(&self) -> Vec<Vec<usize>> {
        let r = self.radius;
        let cell = |p: &[f64]| -> Vec<i64> { p.iter().map(|x| (x / r).floor() as i64).collect() };
        let mut grid: HashMap<Vec<i64>, Vec<usize>> = HashMap::new();
        for (i, p) in self.points.iter().enumerate() {
            grid.entry(cell(p)).or_default().push(i);
        }
        let dims = self.points.front().map_or(0, |p| p.len());
        let neighbours = |i: usize| -> Vec<usize> {
            let p = &self.points[i];
            let base = cell(p);
            let mut out = Vec::new();
            // The 3^dims cells around the point's.
            let total = 3usize.pow(dims as u32);
            for k in 0..total {
                let mut c = base.clone();
                let mut rest = k;
                for v in c.iter_mut() {
                    *v += (rest % 3) as i64 - 1;
                    rest /= 3;
                }
                for &j in grid.get(&c).into_iter().flatten() {
                    let q = &self.points[j];
                    let d2: f64 = p.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum();
                    if d2 <= r * r {
                        out.push(j);
                    }
                }
            }
            out
        };
        let n = self.points.len();
        let mut label: Vec<Option<usize>> = vec![None; n];
        let mut clusters: Vec<Vec<usize>> = Vec::new();
        for i in 0..n {
            if label[i].is_some() {
                continue;
            }
            let around = neighbours(i);
            if around.len() < self.min_points {
                continue;
            }
            let id = clusters.len();
            let mut members = Vec::new();
            let mut queue = vec![i];
            label[i] = Some(id);
            while let Some(j) = queue.pop() {
                members.push(j);
                let near = neighbours(j);
                if near.len() < self.min_points {
                    continue;
                }
                for k in near {
                    if label[k].is_none() {
                        label[k] = Some(id);
                        queue.push(k);
                    }
                }
            }
            clusters.push(members);
        }
        clusters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dense_cluster_is_a_hotspot_and_scattered_points_are_not() {
        let mut h = Hotspots::new(100, 0.5, 5);
        // Scattered points over a 10 × 10 square, and ten close together near (2, 3).
        for i in 0..30 {
            h.add(&[(i * 7 % 10) as f64 + 0.5, (i * 3 % 10) as f64 + 0.5]);
        }
        let mut last = String::new();
        for i in 0..10 {
            last = h.add(&[2.0 + i as f64 * 0.02, 3.0 + i as f64 * 0.01]);
        }
        let v: serde_json::Value = serde_json::from_str(&last).unwrap();
        let spots = v["hotspots"].as_array().unwrap();
        assert_eq!(spots.len(), 1, "{last}");
        assert_eq!(spots[0]["minValues"], serde_json::json!([2.0, 3.0]));
        assert!(spots[0]["density"].as_f64().unwrap() > 10.0, "{last}");
    }
}
