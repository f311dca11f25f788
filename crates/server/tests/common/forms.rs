//! Valid form values for any fillable field of a template, optional ones included, so that every encoding of
//! api-types' form model is exercised.

use api_types::form::{Address, Attachment, DateFormat, Field, FieldKind, FieldValue, FormValues, TimeAndLocation};
use dingtalk_emulator::Emulator;
use dingtalk_emulator::workflow::UploadRequest;

/// A 报价单.pdf in `user_id`'s approval space, for attachment fields.
pub async fn upload(emu: &Emulator, user_id: &str) -> Attachment {
    let req = UploadRequest {
        user_id: user_id.into(),
        file_name: "报价单.pdf".into(),
        file_size: 4096,
        file_type: "pdf".into(),
    };
    let f = emu.control().upload(&req).await.unwrap();
    Attachment {
        space_id: f.space_id,
        file_id: f.file_id,
        file_name: f.file_name,
        file_size: u64::try_from(f.file_size).unwrap(),
        file_type: f.file_type,
    }
}

/// What valid values refer to in the organisation.
pub struct Refs {
    /// A file in the originator's approval space.
    pub file: Attachment,
    /// An instance a relate field may name.
    pub instance_id: String,
}

/// A valid value for every fillable field, optional ones included, so every encoding is exercised.
pub fn valid_values(fields: &[Field], refs: &Refs) -> FormValues {
    fields.iter().filter(|f| f.is_fillable()).map(|f| (f.id.clone(), valid_value(f, refs))).collect()
}

/// A valid value for one fillable field.
pub fn valid_value(field: &Field, refs: &Refs) -> FieldValue {
    let date = |format: &DateFormat, day: &str| match format {
        DateFormat::Date => format!("2024-05-{day}"),
        DateFormat::DateTime => format!("2024-05-{day} 09:30"),
    };
    match &field.kind {
        FieldKind::Text { .. } => FieldValue::Text(format!("{}：测试", field.label)),
        FieldKind::Number { .. } => FieldValue::Number("3".into()),
        FieldKind::Money { .. } => FieldValue::Money("1299.50".into()),
        FieldKind::Select { options } => FieldValue::Choice(options[0].clone()),
        FieldKind::MultiSelect { options } => FieldValue::Choices(options[..2].to_vec()),
        FieldKind::Date { format } => FieldValue::Date(date(format, "06")),
        FieldKind::DateRange { format, .. } => {
            FieldValue::DateRange { start: date(format, "01"), end: date(format, "03") }
        }
        FieldKind::Phone => FieldValue::Phone("010-12345678".into()),
        FieldKind::Photo => FieldValue::Photos(vec!["https://static.example.com/invoice.png".into()]),
        FieldKind::Table { columns, .. } => FieldValue::Table(vec![valid_values(columns, refs); 2]),
        FieldKind::Attachment => FieldValue::Attachments(vec![refs.file.clone()]),
        FieldKind::Contact { multiple: true } => FieldValue::People(vec!["zhangsan".into(), "lisi".into()]),
        FieldKind::Contact { multiple: false } => FieldValue::People(vec!["lisi".into()]),
        FieldKind::Department { multiple: true } => FieldValue::Departments(vec![100, 101]),
        FieldKind::Department { multiple: false } => FieldValue::Departments(vec![101]),
        FieldKind::Relate => FieldValue::Related(vec![refs.instance_id.clone()]),
        FieldKind::Address { .. } => FieldValue::Address(Address {
            province: "浙江省".into(),
            city: "杭州市".into(),
            district: "余杭区".into(),
            detail: Some("文一西路 969 号".into()),
        }),
        FieldKind::StarRating => FieldValue::Rating(4),
        FieldKind::TimeAndLocation { .. } => FieldValue::TimeAndLocation(TimeAndLocation {
            time: "2024-05-01 09:30:00".into(),
            longitude: 120.02,
            latitude: 30.28,
            address: "杭州市余杭区文一西路".into(),
        }),
        FieldKind::Note | FieldKind::Unsupported { .. } => unreachable!("only fillable fields get values"),
    }
}
