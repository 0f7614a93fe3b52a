"""Message events of the identity capability (sent through qifu.messaging)."""

from qifu.messaging.events import define

CERTIFICATION_DECIDED = define(
    "identity.certification.decided",
    "企业认证审核结果",
    essential=True,
    variables=("enterprise", "result", "reason"),
    default_text="{enterprise}的企业实名认证{result}。{reason}",
    category="identity",
    channels=("sms",),
)
INSTITUTION_APPROVED = define(
    "identity.institution.approved",
    "机构入驻审核通过",
    essential=True,
    variables=("institution",),
    default_text="{institution}已通过入驻审核，请使用本手机号以短信验证码登录平台，进入机构工作台。",
    category="identity",
    channels=("sms",),
)
INSTITUTION_REJECTED = define(
    "identity.institution.rejected",
    "机构入驻审核未通过",
    essential=True,
    variables=("institution", "reason"),
    default_text="{institution}的入驻申请未通过审核：{reason}。修改后可重新申请；在平台“服务机构入驻”页可查询申请进度。",
    category="identity",
    channels=("sms",),
)
