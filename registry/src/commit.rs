//! `CommitInfo`: the provenance every snapshot and version carries (id, author, time).

use serde::Serialize;

/// A commit as the registry reports it: its id, the author and the author's time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// The full commit id, 40 hexadecimal digits.
    pub id: String,
    /// The author's name.
    pub author: String,
    /// The author's email address.
    pub email: String,
    /// The author time: seconds since the Unix epoch.
    pub time: i64,
    /// The author's time zone, in minutes east of UTC, as recorded in the commit.
    pub offset_minutes: i32,
}

impl CommitInfo {
    pub(crate) fn from_commit(commit: &git2::Commit<'_>) -> CommitInfo {
        let author = commit.author();
        let when = author.when();
        CommitInfo {
            id: commit.id().to_string(),
            author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
            email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
            time: when.seconds(),
            offset_minutes: when.offset_minutes(),
        }
    }

    /// The first 12 digits of the id, enough to name a commit in a listing.
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(12)]
    }

    /// The author time in RFC 3339, in the author's own time zone
    /// (`2024-05-01T14:30:00+02:00`).
    pub fn rfc3339(&self) -> String {
        let local = self.time + i64::from(self.offset_minutes) * 60;
        let (date, seconds_of_day) = (local.div_euclid(86_400), local.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(date);
        let offset = self.offset_minutes.abs();
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{}{:02}:{:02}",
            seconds_of_day / 3600,
            seconds_of_day % 3600 / 60,
            seconds_of_day % 60,
            if self.offset_minutes < 0 { '-' } else { '+' },
            offset / 60,
            offset % 60,
        )
    }

    /// The author's calendar date (`2024-05-01`), in the author's time zone.
    pub fn date(&self) -> String {
        self.rfc3339()[..10].to_string()
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`), so that no date crate is needed for one conversion.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(time: i64, offset_minutes: i32) -> CommitInfo {
        CommitInfo {
            id: "0123456789abcdef0123456789abcdef01234567".into(),
            author: "Ada".into(),
            email: "ada@example.com".into(),
            time,
            offset_minutes,
        }
    }

    #[test]
    fn formats_times_in_the_authors_zone() {
        assert_eq!(at(0, 0).rfc3339(), "1970-01-01T00:00:00+00:00");
        // 2024-02-29T23:30:00Z is already March 1st in UTC+02:00.
        assert_eq!(
            at(1_709_249_400, 120).rfc3339(),
            "2024-03-01T01:30:00+02:00"
        );
        assert_eq!(
            at(1_709_249_400, -330).rfc3339(),
            "2024-02-29T18:00:00-05:30"
        );
        assert_eq!(at(-1, 0).rfc3339(), "1969-12-31T23:59:59+00:00");
        assert_eq!(at(1_709_249_400, 120).date(), "2024-03-01");
        assert_eq!(at(0, 0).short_id(), "0123456789ab");
    }
}
