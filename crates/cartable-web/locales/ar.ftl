site-name = كرطابل
site-tagline = دروس قصيرة بالفيديو لكل متعلم، على أي شاشة
skip-to-content = انتقل إلى المحتوى
nav-main = القائمة الرئيسية
nav-home = الرئيسية
nav-browse = تصفح
nav-language = اللغة
home-title = تعلّم حسب وتيرتك
home-programmes = البرامج
home-newest = كبسولات جديدة
home-levels = تصفح حسب المستوى
home-empty = لم تُنشر أي كبسولة بعد.
capsule-count = { $count ->
    [zero] لا كبسولات
    [one] كبسولة واحدة
    [two] كبسولتان
    [few] { $count } كبسولات
    [many] { $count } كبسولة
   *[other] { $count } كبسولة
}
browse-title = تصفح الكبسولات
browse-filters = اختر ما يُعرض
filter-level = المستوى
filter-subject = المادة
filter-lang = لغة الدرس
filter-any = الكل
filter-apply = اعرض الكبسولات
browse-none = لا توجد كبسولة تطابق هذه الاختيارات.
browse-next = الصفحة التالية
browse-results = النتائج
programme-lessons = دروس هذا البرنامج
capsule-about = حول هذه الكبسولة
capsule-level = المستوى
capsule-subject = المادة
capsule-duration = المدة
capsule-quality = الجودة
capsule-quality-hint = الجودة الأدنى تستهلك بيانات أقل.
quality-auto = تلقائي
quality-audio = الصوت فقط
capsule-transcript = النص المكتوب
capsule-attachments = أوراق العمل والوثائق
capsule-download = نزّل للمشاهدة دون اتصال
capsule-programmes = ضمن البرامج
capsule-position = الدرس { $position }
capsule-no-player = لا يستطيع متصفحك تشغيل هذا الدرس هنا. نزّله من الأسفل.
player-label = مشغل الدرس
not-found-title = الصفحة غير موجودة
not-found-body = هذه الصفحة غير موجودة، أو نُقلت.
back-home = العودة إلى الصفحة الرئيسية
error-title = حدث خطأ
error-body = تعذّر عرض الصفحة. حاول مرة أخرى بعد قليل.
footer-text = كرطابل، منصة تعلّم مفتوحة المصدر
size-kb = { $size } ك.ب
size-mb = { $size } م.ب
lang-ar = العربية
lang-fr = الفرنسية
lang-en = الإنجليزية
lang-tr = التركية
lang-zgh = الأمازيغية
